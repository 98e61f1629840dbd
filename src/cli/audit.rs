//! `tenure audit verify` and `tenure audit pubkey`: check a trail (the
//! configured one, or a copy elsewhere) and print the signing key's public
//! half, so an auditor can check copies without access to Tenure's key.

use std::io::Write;
use std::path::{Path, PathBuf};

use tenure_plugin_api::SecretSource;

use super::{ExitCode, fail, load};
use crate::audit::{self, AuditPublicKey, AuditSigner, VerifyOptions};

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
pub fn verify(
    config_path: &Path,
    pubkeys: &[PathBuf],
    trail: Option<&Path>,
) -> Result<ExitCode, ExitCode> {
    let mut keys = pubkeys
        .iter()
        .map(|path| AuditPublicKey::read(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            fail(e);
            ExitCode::Config
        })?;
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
pub fn pubkey(config_path: &Path) -> Result<ExitCode, ExitCode> {
    let config = load(config_path)?;
    let signer = AuditSigner::load_or_create(&config.audit_key).map_err(|e| {
        fail(e);
        ExitCode::Config
    })?;
    let _ = write!(std::io::stdout().lock(), "{}", signer.public_key().to_pem());
    Ok(ExitCode::Ok)
}
