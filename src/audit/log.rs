//! [`AuditLog`]: appends entries under a file lock, with fsync.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tenure_plugin_api::SecretAddress;

use super::canonical::{canonical, chain_hash};
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
    inner: Arc<Paths>,
}

#[derive(Debug)]
struct Paths {
    trail: PathBuf,
    lock: PathBuf,
    head: PathBuf,
}

impl AuditLog {
    /// The trail at `path` (created, with its folder, on first append).
    pub fn new(path: &Path) -> Self {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        Self {
            inner: Arc::new(Paths {
                trail: path.to_path_buf(),
                lock: PathBuf::from(lock),
                head: head_path(path),
            }),
        }
    }

    /// The trail's path.
    pub fn path(&self) -> &Path {
        &self.inner.trail
    }

    /// Appends one event.
    pub async fn append(&self, event: Event) -> Result<u64, AuditError> {
        self.append_all(vec![event]).await
    }

    /// Appends events in order with one fsync; returns the last sequence number.
    pub async fn append_all(&self, events: Vec<Event>) -> Result<u64, AuditError> {
        let inner = Arc::clone(&self.inner);
        let path = inner.trail.clone();
        tokio::task::spawn_blocking(move || inner.append_blocking(&events))
            .await
            .map_err(|_| AuditError::Task { path })?
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
        let len = file.metadata().map_err(io(&self.trail))?.len();
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
        let text = canonical(&json!({"seq": seq, "hash": hash}));
        tmp.write_all(text.as_bytes()).map_err(io(&self.head))?;
        tmp.as_file().sync_data().map_err(io(&self.head))?;
        tmp.persist(&self.head).map_err(|e| AuditError::Io {
            path: self.head.clone(),
            source: e.error,
        })?;
        Ok(())
    }
}
