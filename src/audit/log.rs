//! [`AuditLog`]: appends entries under a file lock, with fsync.
//!
//! Appends are group-committed ([`tenure_group_commit`]): concurrent callers
//! queue their events, one writer thread takes the whole queue, writes it
//! under the file lock with one fsync, and answers every caller with its own
//! last sequence number; a failed write fails every caller of the batch. A
//! caller's `append` returns only once its events are on disk, so "recorded
//! before the side effect" holds, while many concurrent workflows share one
//! fsync instead of queueing for one each.
//!
//! With a signer, every entry carries a checkpoint signature (`sig`) over
//! its sequence number and chain hash, which covers it and, through the
//! chain, every entry before it; the head file is signed the same way. An
//! Ed25519 signature costs microseconds, far below the fsync every batch
//! pays, and signing each entry leaves no unsigned line an intruder could
//! pass off as part of a batch. A last line cut short (a crash mid-append: no
//! final newline) is removed before the next append, which records that it
//! did so in an `audit_repaired` entry; a complete line that is not a valid
//! entry is tampering, not a crash, and still stops appends.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tenure_group_commit::{self as group_commit, Commit, GroupCommit};
use tenure_plugin_api::SecretAddress;

mod file;
#[cfg(test)]
mod tests;

use super::head_path;
use super::key::AuditSigner;
use file::Paths;

/// Why an entry could not be appended.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// File I/O failed.
    #[error("audit trail {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The last line of the trail is not a valid entry: refuse to chain onto it.
    #[error("audit trail {path}: the last line is not a valid entry; run `tenure audit verify`")]
    CorruptTail {
        /// The file.
        path: PathBuf,
    },
    /// The blocking task panicked or was cancelled.
    #[error("audit trail {path}: the writer task failed")]
    Task {
        /// The file.
        path: PathBuf,
    },
}

/// One event to record. Build `data` from identifiers only, never values.
#[derive(Debug, Clone)]
pub struct Event {
    /// What happened: `decision`, `phase`, `verification`, `error`, `run`, ...
    pub kind: &'static str,
    /// The secret concerned, if any.
    pub secret: Option<SecretAddress>,
    /// The workflow run, if any.
    pub run: Option<String>,
    /// Details.
    pub data: Value,
}

impl Event {
    /// An event about a secret.
    pub fn new(
        kind: &'static str,
        secret: Option<&SecretAddress>,
        run: Option<&str>,
        data: Value,
    ) -> Self {
        Self {
            kind,
            secret: secret.cloned(),
            run: run.map(str::to_owned),
            data,
        }
    }
}

/// The audit trail of one configuration. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditLog {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    trail: PathBuf,
    appends: GroupCommit<Appender>,
}

/// One batch of appends: the events of every caller, in arrival order,
/// written under the file lock with one fsync.
struct Appender {
    paths: Paths,
    events: Vec<Event>,
}

impl Commit for Appender {
    type Op = Vec<Event>;
    /// How many events of the batch are up to and including this caller's.
    type Staged = u64;
    /// The last sequence number written, and how many events the batch held.
    type Written = (u64, u64);
    /// The caller's last sequence number.
    type Output = u64;
    type Error = AuditError;

    fn apply(&mut self, events: Vec<Event>) -> Result<u64, AuditError> {
        self.events.extend(events);
        Ok(self.events.len() as u64)
    }

    fn write(&mut self) -> Result<(u64, u64), AuditError> {
        let last = self.paths.append_blocking(&self.events)?;
        Ok((last, self.events.len() as u64))
    }

    fn output(upto: u64, &(last, total): &(u64, u64)) -> u64 {
        last - (total - upto)
    }

    fn end(&mut self) {
        self.events.clear();
    }

    fn share(&self, err: &AuditError) -> AuditError {
        AuditError::Io {
            path: self.paths.trail.clone(),
            source: std::io::Error::other(err.to_string()),
        }
    }
}

impl AuditLog {
    /// The trail at `path` (created, with its folder, on first append),
    /// without checkpoint signatures (tests, benchmarks).
    pub fn new(path: &Path) -> Self {
        Self::build(path, None)
    }

    /// The trail at `path`, each batch's last entry signed by `signer`.
    pub fn signed(path: &Path, signer: Arc<AuditSigner>) -> Self {
        Self::build(path, Some(signer))
    }

    fn build(path: &Path, signer: Option<Arc<AuditSigner>>) -> Self {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        let appender = Appender {
            paths: Paths {
                trail: path.to_path_buf(),
                lock: PathBuf::from(lock),
                head: head_path(path),
                signer,
            },
            events: Vec::new(),
        };
        Self {
            inner: Arc::new(Shared {
                trail: path.to_path_buf(),
                appends: GroupCommit::new("tenure-audit", appender),
            }),
        }
    }

    /// Repairs a torn last line now (see the module docs) rather than at the
    /// next append; returns the last sequence number. Appends nothing to a
    /// sound trail.
    pub async fn repair(&self) -> Result<u64, AuditError> {
        self.append_all(Vec::new()).await
    }

    /// The trail's path.
    pub fn path(&self) -> &Path {
        &self.inner.trail
    }

    /// Appends one event.
    pub async fn append(&self, event: Event) -> Result<u64, AuditError> {
        self.append_all(vec![event]).await
    }

    /// Appends events in order (with one fsync, shared with concurrent
    /// callers); returns the last sequence number once they are on disk.
    pub async fn append_all(&self, events: Vec<Event>) -> Result<u64, AuditError> {
        self.inner
            .appends
            .submit(events)
            .await
            .map_err(|err| match err {
                group_commit::Error::Failed(err) => err,
                group_commit::Error::Stopped | group_commit::Error::Spawn(_) => AuditError::Task {
                    path: self.inner.trail.clone(),
                },
            })
    }
}
