//! The trail file itself: one locked, fsynced append of a batch (chained,
//! signed), the repair of a last line torn by a crash, and the signed head
//! file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::{AuditError, Event};
use crate::audit::GENESIS;
use crate::audit::canonical::{canonical, chain_hash};
use crate::audit::key::AuditSigner;

/// Where the trail, its lock and its head file are, and the key that signs.
#[derive(Debug)]
pub(super) struct Paths {
    pub(super) trail: PathBuf,
    pub(super) lock: PathBuf,
    pub(super) head: PathBuf,
    pub(super) signer: Option<Arc<AuditSigner>>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens the file at `path` for `access` (its read, write and append
/// flags), creating it readable by its owner only when it is missing.
fn open_private(path: &Path, access: &mut OpenOptions) -> Result<File, AuditError> {
    access.create(true).mode(0o600).open(path).map_err(io(path))
}

/// The byte before `end`, which must be past the start.
fn byte_before(file: &mut File, end: u64) -> std::io::Result<u8> {
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(end - 1))?;
    file.read_exact(&mut byte)?;
    Ok(byte[0])
}

/// What follows the last newline before `end`, read backwards in growing
/// windows: where it starts, and its bytes (all of `..end` when there is no
/// newline).
fn after_last_newline(file: &mut File, end: u64) -> std::io::Result<(u64, Vec<u8>)> {
    let mut window = 4096u64;
    loop {
        let start = end.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        file.take(end - start).read_to_end(&mut buf)?;
        if let Some(pos) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok((start + pos as u64 + 1, buf.split_off(pos + 1)));
        }
        if start == 0 {
            return Ok((0, buf));
        }
        window *= 4;
    }
}

/// The last complete line of a file, read from its end.
fn last_line(file: &mut File, len: u64) -> std::io::Result<Option<String>> {
    if len == 0 {
        return Ok(None);
    }
    let end = if byte_before(file, len)? == b'\n' {
        len - 1
    } else {
        len
    };
    let (_, line) = after_last_newline(file, end)?;
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// A last line without its newline (an append cut short): where the sound
/// part ends and the torn bytes.
fn torn_tail(file: &mut File, len: u64) -> std::io::Result<Option<(u64, Vec<u8>)>> {
    if len == 0 || byte_before(file, len)? == b'\n' {
        return Ok(None);
    }
    after_last_newline(file, len).map(Some)
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
    pub(super) fn append_blocking(&self, events: &[Event]) -> Result<u64, AuditError> {
        if let Some(dir) = self.trail.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let lock = open_private(&self.lock, OpenOptions::new().truncate(false).write(true))?;
        lock.lock().map_err(io(&self.lock))?;
        let result = self.append_locked(events);
        // Dropping the handle releases the lock too; unlock explicitly for clarity.
        let _ = lock.unlock();
        result
    }

    fn append_locked(&self, events: &[Event]) -> Result<u64, AuditError> {
        let mut file = open_private(&self.trail, OpenOptions::new().read(true).append(true))?;
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
