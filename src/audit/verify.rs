//! [`verify`]: checks every line of a trail and its head file; with public
//! keys ([`verify_with`]), also every entry's signature from the first
//! signed one on (entries before it were written before signing was
//! enabled), and the head file's.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::canonical::{canonical, chain_hash, same_hash};
use super::key::AuditPublicKey;
use super::{GENESIS, head_path};

/// A trail that checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of entries.
    pub entries: u64,
    /// The last entry's hash.
    pub head: String,
    /// Entries carrying a checkpoint signature.
    pub checkpoints: u64,
    /// Entries before the first signed one (written before signing was
    /// enabled); covered by the first signature through the chain.
    pub unsigned_prefix: u64,
    /// Whether the signatures were checked against public keys.
    pub signatures_checked: bool,
    /// Whether a head file was there to check (a copy of the trail may come
    /// without one; then lines cut back to a checkpoint go unnoticed).
    pub head_checked: bool,
}

/// What [`verify_with`] checks besides the chain.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// Public keys a checkpoint may be signed with; empty: signatures are
    /// not checked.
    pub keys: &'a [AuditPublicKey],
}

/// The first problem found.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The trail cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line is wrong.
    #[error("{path}:{line}: {problem}")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The trail ends before the head file says it should.
    #[error(
        "{path}: the trail ends at entry {entries} but its head file records entry {head_seq}: lines were removed from the end"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Entries found.
        entries: u64,
        /// Entries the head file records.
        head_seq: u64,
    },
    /// The head file is not signed by a given key.
    #[error("{path}: the head file {problem}")]
    UnsignedHead {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The head file disagrees with the last line.
    #[error("{path}: the head file does not match the last entry")]
    HeadMismatch {
        /// The file.
        path: PathBuf,
    },
}

impl VerifyError {
    /// The 1-based line number of the first bad line, if the problem is a line.
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::BadLine { line, .. } => Some(*line),
            _ => None,
        }
    }
}

/// Verifies the trail at `path`'s chain and head file. A missing trail with
/// no head file is empty and valid.
pub fn verify(path: &Path) -> Result<VerifyReport, VerifyError> {
    verify_with(path, VerifyOptions::default())
}

/// Checks a checkpoint signature against `keys`; the problem otherwise.
pub(super) fn check_signature(
    keys: &[AuditPublicKey],
    sig: &Value,
    seq: u64,
    hash: &str,
) -> Result<(), String> {
    let (Some(key_id), Some(signature)) = (
        sig.get("key").and_then(Value::as_str),
        sig.get("ed25519").and_then(Value::as_str),
    ) else {
        return Err("has a malformed checkpoint signature".to_owned());
    };
    let Some(key) = keys.iter().find(|k| k.id() == key_id) else {
        return Err(format!(
            "is signed by key {key_id}, which is not among the public keys given"
        ));
    };
    if !key.verifies(seq, hash, signature) {
        return Err(format!(
            "checkpoint signature does not verify with key {key_id}: the trail was rewritten"
        ));
    }
    Ok(())
}

/// Verifies the trail at `path` as [`verify`] does, and with keys every
/// checkpoint signature and that the last entry is signed. With keys, a
/// missing head file is allowed (a copy of the trail).
pub fn verify_with(path: &Path, options: VerifyOptions<'_>) -> Result<VerifyReport, VerifyError> {
    let head_file = head_path(path);
    let file = match std::fs::File::open(path) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !head_file.exists() => None,
        Err(source) => {
            return Err(VerifyError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut prev = GENESIS.to_owned();
    let mut count = 0u64;
    let mut checkpoints = 0u64;
    if let Some(file) = file {
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let number = index as u64 + 1;
            let bad = |problem: &str| VerifyError::BadLine {
                path: path.to_path_buf(),
                line: number,
                problem: problem.to_owned(),
            };
            let line = line.map_err(|source| VerifyError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let value: Value =
                serde_json::from_str(&line).map_err(|_| bad("not a valid JSON entry"))?;
            if canonical(&value) != line {
                return Err(bad("not in canonical form: the entry was edited"));
            }
            let Value::Object(mut entry) = value else {
                return Err(bad("not a JSON object"));
            };
            let Some(Value::String(hash)) = entry.remove("hash") else {
                return Err(bad("has no hash"));
            };
            if entry.get("seq").and_then(Value::as_u64) != Some(count + 1) {
                return Err(bad(&format!(
                    "sequence number is not {}: a line was removed, added or reordered",
                    count + 1
                )));
            }
            if !entry
                .get("prev")
                .and_then(Value::as_str)
                .is_some_and(|p| same_hash(p, &prev))
            {
                return Err(bad(
                    "does not chain to the line before it: a line was removed or reordered",
                ));
            }
            let sig = entry.remove("sig");
            if !same_hash(&chain_hash(&prev, &canonical(&Value::Object(entry))), &hash) {
                return Err(bad("hash does not match the entry: the entry was changed"));
            }
            match sig {
                Some(sig) => {
                    if !options.keys.is_empty() {
                        check_signature(options.keys, &sig, count + 1, &hash)
                            .map_err(|problem| bad(&problem))?;
                    }
                    checkpoints += 1;
                }
                None if checkpoints > 0 && !options.keys.is_empty() => {
                    return Err(bad(
                        "is not signed, after signed entries: it was added without the signing key",
                    ));
                }
                None => {}
            }
            prev = hash;
            count += 1;
        }
    }
    let unsigned_prefix = if checkpoints > 0 {
        count - checkpoints
    } else {
        count
    };
    if !options.keys.is_empty() && checkpoints == 0 && count > 0 {
        return Err(VerifyError::BadLine {
            path: path.to_path_buf(),
            line: count,
            problem: "no entry is signed: the trail was written without the signing key".to_owned(),
        });
    }
    let mut head_checked = true;
    match std::fs::read_to_string(&head_file) {
        Ok(text) => {
            let head: Value =
                serde_json::from_str(&text).map_err(|_| VerifyError::HeadMismatch {
                    path: path.to_path_buf(),
                })?;
            let head_seq = head.get("seq").and_then(Value::as_u64).unwrap_or(0);
            if head_seq > count {
                return Err(VerifyError::Truncated {
                    path: path.to_path_buf(),
                    entries: count,
                    head_seq,
                });
            }
            if head_seq == count
                && !head
                    .get("hash")
                    .and_then(Value::as_str)
                    .is_some_and(|h| same_hash(h, &prev))
            {
                return Err(VerifyError::HeadMismatch {
                    path: path.to_path_buf(),
                });
            }
            if !options.keys.is_empty() && checkpoints > 0 {
                let head_hash = head.get("hash").and_then(Value::as_str).unwrap_or_default();
                let sig = head.get("sig").ok_or_else(|| VerifyError::UnsignedHead {
                    path: path.to_path_buf(),
                    problem: "is not signed: it was rewritten without the signing key".to_owned(),
                })?;
                check_signature(options.keys, sig, head_seq, head_hash).map_err(|problem| {
                    VerifyError::UnsignedHead {
                        path: path.to_path_buf(),
                        problem,
                    }
                })?;
            }
            // head_seq < count: a writer crashed between appending and
            // updating the head; the chain itself proves the extra lines.
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && count == 0 => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !options.keys.is_empty() => {
            head_checked = false;
        }
        Err(source) => {
            return Err(VerifyError::Io {
                path: head_file,
                source,
            });
        }
    }
    Ok(VerifyReport {
        entries: count,
        head: prev,
        checkpoints,
        unsigned_prefix,
        signatures_checked: !options.keys.is_empty(),
        head_checked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, Event};
    use serde_json::json;

    async fn trail(dir: &Path, n: usize) -> PathBuf {
        let path = dir.join("audit.jsonl");
        let log = AuditLog::new(&path);
        for i in 0..n {
            log.append(Event::new("test", None, None, json!({"i": i})))
                .await
                .expect("append");
        }
        path
    }

    /// Verifies a five-entry trail after `edit` changed its lines.
    async fn verify_edited(
        edit: impl FnOnce(&mut Vec<String>),
    ) -> Result<VerifyReport, VerifyError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = trail(dir.path(), 5).await;
        let mut lines: Vec<String> = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .map(str::to_owned)
            .collect();
        edit(&mut lines);
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        verify(&path)
    }

    #[tokio::test]
    async fn a_clean_trail_verifies() {
        let report = verify_edited(|_| {}).await.expect("valid");
        assert_eq!(report.entries, 5);
    }

    #[tokio::test]
    async fn a_changed_line_is_named() {
        let result = verify_edited(|l| l[2] = l[2].replace(r#""i":2"#, r#""i":9"#)).await;
        assert_eq!(result.expect_err("tampered").line(), Some(3));
    }

    #[tokio::test]
    async fn a_removed_line_is_named() {
        let result = verify_edited(|l| {
            l.remove(1);
        })
        .await;
        assert_eq!(result.expect_err("tampered").line(), Some(2));
    }

    #[tokio::test]
    async fn reordered_lines_are_named() {
        let result = verify_edited(|l| l.swap(3, 4)).await;
        assert_eq!(result.expect_err("tampered").line(), Some(4));
    }

    #[tokio::test]
    async fn a_cut_tail_is_caught_by_the_head() {
        let result = verify_edited(|l| {
            l.pop();
        })
        .await;
        assert!(matches!(
            result,
            Err(VerifyError::Truncated {
                entries: 4,
                head_seq: 5,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn appends_continue_the_chain_across_handles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = trail(dir.path(), 2).await;
        let other = AuditLog::new(&path);
        other
            .append_all(vec![
                Event::new("a", None, None, json!({})),
                Event::new("b", None, None, json!({})),
            ])
            .await
            .expect("append");
        assert_eq!(verify(&path).expect("valid").entries, 4);
    }
}
