//! `tenure audit verify --trail A --trail B [--checkpoints FILE]`: several
//! replicas' trails checked together against the checkpoint registry, with
//! a line per trail saying how far the registry anchors it.

use std::io::Write;
use std::path::PathBuf;

use super::{ExitCode, fail};
use crate::audit::{AuditPublicKey, Checkpoint, verify_replicas};

/// Verifies `trails` together against `registry`, with `keys` when given.
pub fn verify(
    trails: &[PathBuf],
    registry: &[Checkpoint],
    keys: &[AuditPublicKey],
) -> Result<ExitCode, ExitCode> {
    if trails.is_empty() {
        fail("give every replica's trail with --trail (one per replica)");
        return Err(ExitCode::Config);
    }
    match verify_replicas(trails, registry, keys) {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            let entries: u64 = report.trails.iter().map(|t| t.report.entries).sum();
            let signatures = if keys.is_empty() {
                "signatures not checked (no public key)".to_owned()
            } else {
                let ids: Vec<String> = keys.iter().map(AuditPublicKey::id).collect();
                format!("signatures verified with key {}", ids.join(", "))
            };
            let _ = writeln!(
                out,
                "OK: {} trails, {entries} entries, {} checkpoints; none missing, cut, rewritten or reordered ({signatures})",
                report.trails.len(),
                report.checkpoints
            );
            for trail in &report.trails {
                let tail = trail.report.entries.saturating_sub(trail.anchored);
                let _ = writeln!(
                    out,
                    "  {}: trail {}, {} entries, anchored up to entry {}{}",
                    trail.path.display(),
                    &trail.id[..16.min(trail.id.len())],
                    trail.report.entries,
                    trail.anchored,
                    if tail > 0 {
                        format!(" ({tail} after the last checkpoint, covered by the head file)")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(ExitCode::Ok)
        }
        Err(err) => {
            fail(err);
            Err(ExitCode::Audit)
        }
    }
}
