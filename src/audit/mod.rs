//! The audit trail: append-only JSON lines, each hash-chained to the one before.
//!
//! Every line is one entry in canonical JSON (keys sorted, no spaces):
//! `{"data":{..},"hash":"..","kind":"..","prev":"..","run":..,"secret":..,"seq":N,"ts":".."}`.
//! `hash` is SHA-256 over `prev + "\n" + the canonical entry without hash`;
//! `prev` is the previous line's hash (64 zeros for the first). A head file
//! beside the trail records the last sequence number and hash, so lines cut
//! from the end are caught too. With a signing key ([`AuditSigner`], kept
//! apart from the trail) every entry and the head carry an Ed25519
//! signature over the sequence number and hash (`sig`, outside the hash),
//! which [`verify_with`] checks against public keys. Appends take a file
//! lock, so several processes can share one trail. Entries never carry a secret value: only
//! addresses, ids, decisions, phases, proofs and error messages.
//!
//! Replicas that share a state store but not a disk keep one trail each and
//! record each trail's head in the store's checkpoint registry
//! ([`Checkpoint`]); [`verify_replicas`] checks the trails together against
//! it, so they verify as one.

mod canonical;
mod checkpoint;
mod key;
mod log;
mod read;
mod replicas;
mod verify;

pub use checkpoint::{Checkpoint, TrailHead, read_head};
pub use key::{AuditPublicKey, AuditSigner, KeyError};
pub use log::{AuditError, AuditLog, Event};
pub use read::{
    ReadError, TrailEntry, TrailFilter, check_entry, entry_of, parse_entry, read_trail,
};
pub use replicas::{ReplicaTrail, ReplicasError, ReplicasReport, verify_replicas};
pub use verify::{VerifyError, VerifyOptions, VerifyReport, verify, verify_with};

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The head file of a trail: `<trail>.head`.
pub fn head_path(trail: &std::path::Path) -> std::path::PathBuf {
    let mut name = trail.as_os_str().to_owned();
    name.push(".head");
    std::path::PathBuf::from(name)
}
