//! `tenure evidence <address>` writes one secret's evidence (JSON or an
//! HTML page); `tenure evidence verify FILE --pubkey KEY` checks such a file
//! on any machine with only the audit key's public key.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use tenure_plugin_api::SecretAddress;

use super::{ExitCode, fail};
use crate::app::App;
use crate::audit::{AuditPublicKey, AuditSigner};
use crate::evidence::{self, EvidenceError, Format, Request};

/// `tenure evidence ...`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct EvidenceArgs {
    /// Check an evidence file instead.
    #[command(subcommand)]
    pub command: Option<EvidenceCommand>,
    /// The secret's address, <provider>:<path>.
    #[arg(required = true)]
    pub address: Option<SecretAddress>,
    /// Only entries written at or after this time (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    pub from: Option<DateTime<Utc>>,
    /// Only entries written before this time (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    pub to: Option<DateTime<Utc>>,
    /// Output format: the JSON document, or one self-contained HTML page.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `tenure evidence verify ...`
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence file (JSON or HTML) with only the public key:
    /// every entry's hash and signature, their order, the checkpoint;
    /// names the first bad entry (exit 3).
    Verify {
        /// The evidence file.
        file: PathBuf,
        /// The audit key's public key (PEM, as `tenure audit pubkey`
        /// prints it); repeat for several.
        #[arg(long = "pubkey", value_name = "FILE", required = true)]
        pubkeys: Vec<PathBuf>,
    },
}

fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-12-01T00:00:00Z"))
}

/// Whether `args` asks to verify a file.
pub fn verify_request(args: &EvidenceArgs) -> Option<(&Path, &[PathBuf])> {
    match &args.command {
        Some(EvidenceCommand::Verify { file, pubkeys }) => Some((file, pubkeys)),
        None => None,
    }
}

/// `tenure evidence <address> ...` with the app open.
pub async fn generate(app: &App, args: &EvidenceArgs) -> Result<ExitCode, ExitCode> {
    let Some(address) = &args.address else {
        fail("evidence: give a secret's address, or `verify FILE`");
        return Err(ExitCode::Config);
    };
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from >= to
    {
        fail("evidence: --from must be before --to");
        return Err(ExitCode::Config);
    }
    let config = app.config();
    let signer = AuditSigner::load_or_create(&config.audit_key).map_err(|e| {
        fail(e);
        ExitCode::Config
    })?;
    let keys = [signer.public_key().clone()];
    let (secret, from, to) = (address.clone(), args.from, args.to);
    // The trail is read line by line: blocking I/O.
    let gathered = tokio::task::spawn_blocking(move || {
        let request = Request {
            secret: &secret,
            from,
            to,
        };
        evidence::gather(&config, request, &keys, Utc::now())
    })
    .await;
    let evidence = match gathered {
        Ok(Ok(evidence)) => evidence,
        Ok(Err(err @ EvidenceError::Unknown(_))) => {
            fail(err);
            return Err(ExitCode::NotFound);
        }
        Ok(Err(err)) => return Err(super::runtime(err)),
        Err(err) => return Err(super::runtime(err)),
    };
    let text = evidence::write(&evidence, args.format);
    match &args.output {
        Some(path) => std::fs::write(path, &text).map_err(|e| {
            fail(format!("cannot write {}: {e}", path.display()));
            ExitCode::Runtime
        })?,
        None => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    if evidence.chain.verified() {
        Ok(ExitCode::Ok)
    } else {
        fail(format!(
            "the audit trail failed verification: {}",
            evidence.chain.problem.as_deref().unwrap_or_default()
        ));
        Err(ExitCode::Audit)
    }
}

/// `tenure evidence verify FILE --pubkey KEY...`: reads no config.
pub fn verify(file: &Path, pubkeys: &[PathBuf]) -> Result<ExitCode, ExitCode> {
    let keys = super::audit::public_keys(pubkeys)?;
    let text = std::fs::read_to_string(file).map_err(|e| {
        fail(format!("cannot read {}: {e}", file.display()));
        ExitCode::Config
    })?;
    match evidence::verify(&text, &keys) {
        Ok(verified) => {
            let ids: Vec<String> = keys.iter().map(AuditPublicKey::id).collect();
            let span = verified
                .span
                .map_or_else(String::new, |(a, b)| format!(", entries {a} to {b}"));
            let checkpoint = verified.checkpoint.map_or_else(String::new, |seq| {
                format!("; covered by signed checkpoint {seq}")
            });
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{}: OK ({} entries of {}{span}, each hash and signature verified with key {}{checkpoint})",
                file.display(),
                verified.entries,
                verified.secret,
                ids.join(", ")
            );
            if verified.page_checked == Some(false) {
                let _ = writeln!(
                    out,
                    "note: written by {}; the page's visible part was not compared with the evidence it embeds (only this version's rendering is known)",
                    verified.generator
                );
            }
            Ok(ExitCode::Ok)
        }
        Err(err) => {
            fail(format!("{}: {err}", file.display()));
            Err(ExitCode::Audit)
        }
    }
}
