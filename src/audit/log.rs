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

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tenure_group_commit::{self as group_commit, Commit, GroupCommit};
use tenure_plugin_api::SecretAddress;

use super::canonical::{canonical, chain_hash};
use super::key::AuditSigner;
use super::{GENESIS, head_path};

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

#[derive(Debug)]
struct Paths {
    trail: PathBuf,
    lock: PathBuf,
    head: PathBuf,
    signer: Option<Arc<AuditSigner>>,
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The last complete line of a file, read from its end.
fn last_line(file: &mut File, len: u64) -> std::io::Result<Option<String>> {
    if len == 0 {
        return Ok(None);
    }
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        file.take(len - start).read_to_end(&mut buf)?;
        let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(pos) = body.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(String::from_utf8_lossy(&body[pos + 1..]).into_owned()));
        }
        if start == 0 {
            return Ok(Some(String::from_utf8_lossy(body).into_owned()));
        }
        window *= 4;
    }
}

/// A last line without its newline (an append cut short): where the sound
/// part ends and the torn bytes.
fn torn_tail(file: &mut File, len: u64) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        file.take(len - start).read_to_end(&mut buf)?;
        if let Some(pos) = buf.iter().rposition(|&b| b == b'\n') {
            let keep = start + pos as u64 + 1;
            return Ok(Some((keep, buf[pos + 1..].to_vec())));
        }
        if start == 0 {
            return Ok(Some((0, buf)));
        }
        window *= 4;
    }
}

/// The entry that records a repair.
fn repaired(torn: &[u8]) -> Event {
    use sha2::{Digest, Sha256};
    Event::new(
        "audit_repaired",
        None,
        None,
        json!({
            "reason": "the last line was cut short (a crash during an append) and was removed",
            "removed_bytes": torn.len(),
            "removed_sha256": hex::encode(Sha256::digest(torn)),
        }),
    )
}

impl Paths {
    fn append_blocking(&self, events: &[Event]) -> Result<u64, AuditError> {
        if let Some(dir) = self.trail.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&self.lock)
            .map_err(io(&self.lock))?;
        lock.lock().map_err(io(&self.lock))?;
        let result = self.append_locked(events);
        // Dropping the handle releases the lock too; unlock explicitly for clarity.
        let _ = lock.unlock();
        result
    }

    fn append_locked(&self, events: &[Event]) -> Result<u64, AuditError> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(0o600)
            .open(&self.trail)
            .map_err(io(&self.trail))?;
        let mut len = file.metadata().map_err(io(&self.trail))?.len();
        let repair = match torn_tail(&mut file, len).map_err(io(&self.trail))? {
            Some((keep, torn)) => {
                file.set_len(keep).map_err(io(&self.trail))?;
                len = keep;
                tracing::warn!(
                    trail = %self.trail.display(),
                    removed_bytes = torn.len(),
                    "The audit trail's last line was cut short by a crash; removed it and recorded the repair."
                );
                Some(repaired(&torn))
            }
            None => None,
        };
        let events: Vec<&Event> = repair.iter().chain(events).collect();
        let (mut seq, mut prev) = match last_line(&mut file, len).map_err(io(&self.trail))? {
            None => (0u64, GENESIS.to_owned()),
            Some(line) => {
                let value: Value =
                    serde_json::from_str(&line).map_err(|_| AuditError::CorruptTail {
                        path: self.trail.clone(),
                    })?;
                match (
                    value.get("seq").and_then(Value::as_u64),
                    value.get("hash").and_then(Value::as_str),
                ) {
                    (Some(seq), Some(hash)) => (seq, hash.to_owned()),
                    _ => {
                        return Err(AuditError::CorruptTail {
                            path: self.trail.clone(),
                        });
                    }
                }
            }
        };
        if events.is_empty() {
            return Ok(seq);
        }
        let mut out = String::new();
        for event in events {
            seq += 1;
            let mut entry = Map::new();
            entry.insert("seq".into(), json!(seq));
            entry.insert(
                "ts".into(),
                json!(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)),
            );
            entry.insert("kind".into(), json!(event.kind));
            entry.insert(
                "secret".into(),
                json!(event.secret.as_ref().map(ToString::to_string)),
            );
            entry.insert("run".into(), json!(event.run));
            entry.insert("data".into(), event.data.clone());
            entry.insert("prev".into(), json!(prev));
            let body = canonical(&Value::Object(entry.clone()));
            let hash = chain_hash(&prev, &body);
            if let Some(signer) = &self.signer {
                entry.insert("sig".into(), signer.sign(seq, &hash));
            }
            entry.insert("hash".into(), json!(hash));
            out.push_str(&canonical(&Value::Object(entry)));
            out.push('\n');
            prev = hash;
        }
        file.write_all(out.as_bytes()).map_err(io(&self.trail))?;
        file.sync_data().map_err(io(&self.trail))?;
        self.write_head(seq, &prev)?;
        Ok(seq)
    }

    fn write_head(&self, seq: u64, hash: &str) -> Result<(), AuditError> {
        let dir = self
            .head
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
        let mut head = json!({"seq": seq, "hash": hash});
        if let Some(signer) = &self.signer {
            head["sig"] = signer.sign(seq, hash);
        }
        let text = canonical(&head);
        tmp.write_all(text.as_bytes()).map_err(io(&self.head))?;
        tmp.as_file().sync_data().map_err(io(&self.head))?;
        tmp.persist(&self.head).map_err(|e| AuditError::Io {
            path: self.head.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_share_fsyncs_and_keep_one_valid_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let trail = dir.path().join("audit.jsonl");
        let log = AuditLog::new(&trail);
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move {
                    let events = vec![
                        Event::new(
                            "phase",
                            None,
                            Some(&format!("run-{i}")),
                            json!({ "step": 1 }),
                        ),
                        Event::new(
                            "phase",
                            None,
                            Some(&format!("run-{i}")),
                            json!({ "step": 2 }),
                        ),
                    ];
                    log.append_all(events).await.expect("append")
                })
            })
            .collect();
        let mut last = Vec::new();
        for task in tasks {
            last.push(task.await.expect("task"));
        }
        last.sort_unstable();
        last.dedup();
        assert_eq!(
            last.len(),
            200,
            "every caller gets its own last sequence number"
        );
        assert_eq!(last.last(), Some(&400));
        let text = std::fs::read_to_string(&trail).expect("trail");
        assert_eq!(text.lines().count(), 400);
        // Each caller's two events are adjacent and in order.
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        for pair in lines.chunks(2) {
            assert_eq!(pair[0]["run"], pair[1]["run"]);
            assert_eq!(
                (
                    pair[0]["data"]["step"].as_u64(),
                    pair[1]["data"]["step"].as_u64()
                ),
                (Some(1), Some(2))
            );
        }
        let report = crate::audit::verify(&trail).expect("the chain verifies");
        assert_eq!(report.entries, 400);
    }

    /// Callers that append again as soon as they are answered race the
    /// writer's end: none of them may be left without an answer or an error.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn appends_racing_the_end_of_a_flush_are_all_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let trail = dir.path().join("audit.jsonl");
        let log = AuditLog::new(&trail);
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move {
                    for step in 0..25 {
                        let event = Event::new(
                            "phase",
                            None,
                            Some(&format!("run-{i}")),
                            json!({ "step": step }),
                        );
                        log.append(event).await.expect("append");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
        let report = crate::audit::verify(&trail).expect("the chain verifies");
        assert_eq!(report.entries, 32 * 25);
    }
}
