//! `tenure audit verify`, `tenure audit pubkey` and `tenure audit
//! checkpoints`: check a trail (the configured one, or a copy elsewhere), or
//! several replicas' trails together against the checkpoint registry; print
//! the signing key's public half and the registry, so an auditor can check
//! copies without access to Tenure's key or its state store.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use tenure_plugin_api::SecretSource;

use super::{ExitCode, fail, load, runtime};
use crate::audit::{self, AuditPublicKey, AuditSigner, Checkpoint, VerifyOptions};

/// `tenure audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every line's hash chain and the head file, and every entry's
    /// signature with the configured key or the public keys given; names
    /// the first bad line. With several --trail (one per replica) or
    /// --checkpoints, checks the trails together against the checkpoint
    /// registry: none missing, cut, rewritten or reordered.
    Verify {
        /// A public key (PEM, as `tenure audit pubkey` prints it) the
        /// entries may be signed with; repeat for several (one per
        /// replica). Default: the configured signing key's.
        #[arg(long = "pubkey", value_name = "FILE")]
        pubkeys: Vec<PathBuf>,
        /// Check this trail (a copy elsewhere; its head file is `FILE.head`)
        /// instead of the configured one; reads no config. Repeat for each
        /// replica's trail.
        #[arg(long = "trail", value_name = "FILE")]
        trails: Vec<PathBuf>,
        /// The checkpoint registry as `tenure audit checkpoints` printed it
        /// (default, with several --trail: read from the configured state store).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
    },
    /// Print the public key of the audit signing key (PEM), creating the
    /// key if it does not exist yet.
    Pubkey,
    /// Print the checkpoint registry of the configured state store, one JSON
    /// line per checkpoint: every replica's trail heads, in order.
    Checkpoints,
}

/// Runs `tenure audit <command>`.
pub async fn run(config_path: &Path, command: AuditCommand) -> Result<ExitCode, ExitCode> {
    match command {
        AuditCommand::Verify {
            pubkeys,
            trails,
            checkpoints,
        } if trails.len() > 1 || checkpoints.is_some() => {
            let keys = public_keys(&pubkeys)?;
            let registry = match checkpoints {
                Some(file) => read_registry(&file)?,
                None => stored_registry(config_path).await?,
            };
            super::replicas::verify(&trails, &registry, &keys)
        }
        AuditCommand::Verify {
            pubkeys, trails, ..
        } => verify(config_path, &pubkeys, trails.first().map(PathBuf::as_path)),
        AuditCommand::Pubkey => pubkey(config_path),
        AuditCommand::Checkpoints => {
            let registry = stored_registry(config_path).await?;
            let mut out = std::io::stdout().lock();
            for row in registry {
                let line = serde_json::to_string(&row).map_err(runtime)?;
                let _ = writeln!(out, "{line}");
            }
            Ok(ExitCode::Ok)
        }
    }
}

/// The public keys in `paths`.
pub(super) fn public_keys(paths: &[PathBuf]) -> Result<Vec<AuditPublicKey>, ExitCode> {
    paths
        .iter()
        .map(|path| AuditPublicKey::read(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            fail(e);
            ExitCode::Config
        })
}

/// The registry printed by `tenure audit checkpoints`.
fn read_registry(path: &Path) -> Result<Vec<Checkpoint>, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!("cannot read {}: {e}", path.display()));
        ExitCode::Config
    })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                fail(format!(
                    "{}:{}: not a checkpoint: {e}",
                    path.display(),
                    i + 1
                ));
                ExitCode::Audit
            })
        })
        .collect()
}

/// The registry in the configured state store.
async fn stored_registry(config_path: &Path) -> Result<Vec<Checkpoint>, ExitCode> {
    // Read only: the app is not shut down through `finish`, which would
    // anchor this process's trail and so change the registry it prints.
    let app = super::open(load(config_path)?).await?;
    app.reconciler()
        .store()
        .checkpoints()
        .await
        .map_err(runtime)
}

/// The configured signing key, if it exists (verification never creates one).
fn configured_key(source: &SecretSource) -> Result<Option<AuditPublicKey>, ExitCode> {
    if let SecretSource::File(path) = source
        && !path.exists()
    {
        return Ok(None);
    }
    AuditSigner::load_or_create(source)
        .map(|signer| Some(signer.public_key().clone()))
        .map_err(|e| {
            fail(e);
            ExitCode::Config
        })
}

/// `tenure audit verify [--pubkey FILE]... [--trail FILE]`.
fn verify(
    config_path: &Path,
    pubkeys: &[PathBuf],
    trail: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let mut keys = public_keys(pubkeys)?;
    let trail = match trail {
        // A copy elsewhere: no config needed.
        Some(trail) => trail.to_path_buf(),
        None => {
            let config = load(config_path)?;
            if keys.is_empty() {
                keys.extend(configured_key(&config.audit_key)?);
            }
            config.audit_log
        }
    };
    match audit::verify_with(&trail, VerifyOptions { keys: &keys }) {
        Ok(report) => {
            let signatures = if report.signatures_checked {
                let ids: Vec<String> = keys.iter().map(AuditPublicKey::id).collect();
                format!(
                    "{} signed entries verified with key {}",
                    report.checkpoints,
                    ids.join(", ")
                )
            } else {
                "signatures not checked (no public key)".to_owned()
            };
            let mut notes = Vec::new();
            if report.unsigned_prefix > 0 && report.checkpoints > 0 {
                notes.push(format!(
                    "the first {} entries predate signing and are covered by the first signature",
                    report.unsigned_prefix
                ));
            }
            if !report.head_checked {
                notes.push(
                    "no head file beside this copy: lines cut from its end would go unnoticed"
                        .to_owned(),
                );
            }
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{}: OK ({} entries, head {}; {signatures})",
                trail.display(),
                report.entries,
                report.head
            );
            for note in notes {
                let _ = writeln!(out, "note: {note}");
            }
            Ok(ExitCode::Ok)
        }
        Err(err) => {
            fail(err);
            Err(ExitCode::Audit)
        }
    }
}

/// `tenure audit pubkey`: the public key as PEM (the key is created first
/// when its file does not exist yet, so it can be recorded before the
/// first run).
fn pubkey(config_path: &Path) -> Result<ExitCode, ExitCode> {
    let config = load(config_path)?;
    let signer = AuditSigner::load_or_create(&config.audit_key).map_err(|e| {
        fail(e);
        ExitCode::Config
    })?;
    let _ = write!(std::io::stdout().lock(), "{}", signer.public_key().to_pem());
    Ok(ExitCode::Ok)
}
