//! [`verify_replicas`]: several replicas' trails checked as one piece of
//! evidence against the checkpoint registry (see [`super::checkpoint`]).
//!
//! Each trail must verify on its own (chain, head, signatures); the registry
//! must be whole (rows numbered from 1 without a gap, each chained to the one
//! before, each head signature a given key's); every trail the registry
//! names must be among those given (no replica missing); every checkpoint
//! must be an entry of its trail with the same hash (no entry cut or
//! rewritten up to it); and each trail's checkpoints must advance in the
//! registry's order (nothing reordered).

use std::collections::HashMap;
use std::path::PathBuf;

use super::GENESIS;
use super::checkpoint::Checkpoint;
use super::key::AuditPublicKey;
use super::read::{TrailFilter, read_trail};
use super::verify::{VerifyError, VerifyOptions, VerifyReport, check_signature, verify_with};

/// One trail of a merged verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaTrail {
    /// The file checked.
    pub path: PathBuf,
    /// Its id (the hash of its first entry).
    pub id: String,
    /// Its own verification.
    pub report: VerifyReport,
    /// The last entry the registry anchors (0: none).
    pub anchored: u64,
}

/// Trails that check out together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicasReport {
    /// Each trail, in the order given.
    pub trails: Vec<ReplicaTrail>,
    /// Rows in the registry.
    pub checkpoints: u64,
}

/// The first problem found.
#[derive(Debug, thiserror::Error)]
pub enum ReplicasError {
    /// A trail does not verify on its own.
    #[error(transparent)]
    Trail(#[from] VerifyError),
    /// A trail has no entry, so it has no id.
    #[error("{0}: the trail is empty")]
    Empty(PathBuf),
    /// The registry is not whole.
    #[error("checkpoint {id}: {problem}")]
    Registry {
        /// The row.
        id: u64,
        /// What is wrong.
        problem: String,
    },
    /// The registry names a trail that was not given.
    #[error(
        "checkpoint {id}: the trail {trail} (anchored up to entry {seq}) is missing: a replica's trail was not given"
    )]
    Missing {
        /// The row.
        id: u64,
        /// The trail's id.
        trail: String,
        /// The last entry the registry anchors.
        seq: u64,
    },
    /// A checkpoint disagrees with its trail.
    #[error("checkpoint {id}: {path}: {problem}")]
    Disagrees {
        /// The row.
        id: u64,
        /// The trail.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Checks `trails` together against `registry` (see the module docs); with
/// `keys`, every trail's signatures and every checkpoint's too.
pub fn verify_replicas(
    trails: &[PathBuf],
    registry: &[Checkpoint],
    keys: &[AuditPublicKey],
) -> Result<ReplicasReport, ReplicasError> {
    let mut checked = Vec::new();
    let mut hashes: Vec<HashMap<u64, String>> = Vec::new();
    for path in trails {
        let report = verify_with(path, VerifyOptions { keys })?;
        let entries = read_trail(path, TrailFilter::default()).map_err(|e| VerifyError::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let id = entries
            .first()
            .map(|e| e.hash.clone())
            .ok_or_else(|| ReplicasError::Empty(path.clone()))?;
        hashes.push(entries.into_iter().map(|e| (e.seq, e.hash)).collect());
        checked.push(ReplicaTrail {
            path: path.clone(),
            id,
            report,
            anchored: 0,
        });
    }
    let mut prev = GENESIS.to_owned();
    for (index, row) in registry.iter().enumerate() {
        let problem = |problem: &str| ReplicasError::Registry {
            id: row.id,
            problem: problem.to_owned(),
        };
        if row.id != index as u64 + 1 {
            return Err(problem(&format!(
                "expected checkpoint {}: a checkpoint was removed or reordered",
                index + 1
            )));
        }
        if row.prev != prev || !row.is_intact() {
            return Err(problem(
                "does not chain to the checkpoint before it or was changed",
            ));
        }
        prev = row.row_hash.clone();
        if !keys.is_empty() {
            let sig = row.sig.as_ref().ok_or_else(|| problem("is not signed"))?;
            check_signature(keys, sig, row.seq, &row.hash).map_err(|p| problem(&p))?;
        }
        let Some(at) = checked.iter().position(|t| t.id == row.trail) else {
            return Err(ReplicasError::Missing {
                id: row.id,
                trail: row.trail.clone(),
                seq: row.seq,
            });
        };
        let trail = &mut checked[at];
        let disagrees = |problem: String| ReplicasError::Disagrees {
            id: row.id,
            path: trails[at].clone(),
            problem,
        };
        match hashes[at].get(&row.seq) {
            None => {
                return Err(disagrees(format!(
                    "the trail ends at entry {} but was anchored at entry {}: entries were cut",
                    trail.report.entries, row.seq
                )));
            }
            Some(hash) if hash != &row.hash => {
                return Err(disagrees(format!(
                    "entry {} differs from its checkpoint: the trail was rewritten",
                    row.seq
                )));
            }
            Some(_) => {}
        }
        if row.seq < trail.anchored {
            return Err(disagrees(format!(
                "anchored at entry {} after entry {}: checkpoints were reordered",
                row.seq, trail.anchored
            )));
        }
        trail.anchored = row.seq;
    }
    Ok(ReplicasReport {
        trails: checked,
        checkpoints: registry.len() as u64,
    })
}
