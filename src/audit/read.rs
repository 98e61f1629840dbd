//! Reading a trail back: every entry as a [`TrailEntry`] (what evidence,
//! reports and the console show), in order, optionally only one secret's
//! or a time window's; and [`check_entry`], which proves one entry on its
//! own (its hash from its content and `prev`, its signature with a public
//! key), so an excerpt of a trail can be checked without the rest.
//!
//! Reading does not verify the chain: [`verify_with`](super::verify_with) does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::canonical::{canonical, chain_hash, same_hash};
use super::key::AuditPublicKey;

/// One entry as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailEntry {
    /// Its sequence number (1 for the first line).
    pub seq: u64,
    /// When it was written.
    pub ts: DateTime<Utc>,
    /// What it records: `decision`, `phase`, `proof`, `attestation`, `approval`, ...
    pub kind: String,
    /// The secret it concerns, if any.
    pub secret: Option<String>,
    /// The workflow run, if any.
    pub run: Option<String>,
    /// What it says.
    pub data: Value,
    /// Its hash (what the next entry's `prev` names).
    pub hash: String,
    /// The line as written (canonical JSON, with `hash` and `sig`): what
    /// [`check_entry`] checks.
    #[serde(skip)]
    pub line: Value,
}

impl TrailEntry {
    /// Whether it carries a signature.
    pub fn is_signed(&self) -> bool {
        self.line.get("sig").is_some()
    }
}

/// Which entries to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrailFilter<'a> {
    /// Only this secret's (`<provider>:<path>`).
    pub secret: Option<&'a str>,
    /// Only those written at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only those written before this time.
    pub to: Option<DateTime<Utc>>,
}

impl TrailFilter<'_> {
    fn keeps(&self, entry: &TrailEntry) -> bool {
        self.secret
            .is_none_or(|s| entry.secret.as_deref() == Some(s))
            && self.from.is_none_or(|from| entry.ts >= from)
            && self.to.is_none_or(|to| entry.ts < to)
    }
}

/// Why a trail could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("cannot read the audit trail {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line is not an entry.
    #[error("{path}:{line}: not an audit entry: {problem}")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        problem: String,
    },
}

/// One line as an entry.
pub fn parse_entry(line: &str) -> Result<TrailEntry, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    entry_of(value)
}

/// A written entry (a JSON object) as a [`TrailEntry`].
pub fn entry_of(value: Value) -> Result<TrailEntry, String> {
    let text = |key: &str| value.get(key).and_then(Value::as_str);
    let seq = value.get("seq").and_then(Value::as_u64).ok_or("no seq")?;
    let ts = text("ts")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or("no RFC 3339 ts")?
        .with_timezone(&Utc);
    let kind = text("kind").ok_or("no kind")?.to_owned();
    let hash = text("hash").ok_or("no hash")?.to_owned();
    Ok(TrailEntry {
        seq,
        ts,
        kind,
        secret: text("secret").map(str::to_owned),
        run: text("run").map(str::to_owned),
        data: value.get("data").cloned().unwrap_or(Value::Null),
        hash,
        line: value,
    })
}

/// The entries of the trail at `path` that `filter` keeps, in order; a
/// missing trail has none.
pub fn read_trail(path: &Path, filter: TrailFilter<'_>) -> Result<Vec<TrailEntry>, ReadError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ReadError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut entries = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let entry = parse_entry(&line).map_err(|problem| ReadError::BadLine {
            path: path.to_path_buf(),
            line: index as u64 + 1,
            problem,
        })?;
        if filter.keeps(&entry) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Proves one written entry on its own: its hash is that of its content
/// chained to its `prev`, and (with `keys`) its signature is a given key's
/// over its sequence number and hash. The problem otherwise.
pub fn check_entry(line: &Value, keys: &[AuditPublicKey]) -> Result<(), String> {
    let Value::Object(entry) = line else {
        return Err("not a JSON object".to_owned());
    };
    let mut entry = entry.clone();
    let Some(Value::String(hash)) = entry.remove("hash") else {
        return Err("has no hash".to_owned());
    };
    let sig = entry.remove("sig");
    let prev = entry
        .get("prev")
        .and_then(Value::as_str)
        .ok_or("has no prev")?
        .to_owned();
    let seq = entry
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or("has no seq")?;
    if !same_hash(&chain_hash(&prev, &canonical(&Value::Object(entry))), &hash) {
        return Err("hash does not match the entry: the entry was changed".to_owned());
    }
    if keys.is_empty() {
        return Ok(());
    }
    let sig = sig.ok_or("is not signed")?;
    super::verify::check_signature(keys, &sig, seq, &hash)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::{AuditLog, Event};

    #[tokio::test]
    async fn entries_read_back_filtered_and_each_proves_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::new(&path);
        let a: tenure_plugin_api::SecretAddress = "local:a".parse().expect("address");
        let b: tenure_plugin_api::SecretAddress = "local:b".parse().expect("address");
        for (secret, n) in [(&a, 1), (&b, 2), (&a, 3)] {
            log.append(Event::new(
                "decision",
                Some(secret),
                None,
                json!({ "n": n }),
            ))
            .await
            .expect("append");
        }
        let all = read_trail(&path, TrailFilter::default()).expect("read");
        assert_eq!(all.len(), 3);
        let only_a = read_trail(
            &path,
            TrailFilter {
                secret: Some("local:a"),
                ..TrailFilter::default()
            },
        )
        .expect("read");
        assert_eq!(
            only_a.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 3],
            "in order, only a's"
        );
        assert_eq!(only_a[1].data["n"], 3);
        for entry in &all {
            assert_eq!(check_entry(&entry.line, &[]), Ok(()));
        }
        let mut forged = all[1].line.clone();
        forged["data"]["n"] = json!(9);
        assert!(
            check_entry(&forged, &[]).is_err(),
            "a changed entry is caught"
        );
        let later = read_trail(
            &path,
            TrailFilter {
                from: Some(Utc::now() + chrono::TimeDelta::hours(1)),
                ..TrailFilter::default()
            },
        )
        .expect("read");
        assert!(later.is_empty());
        assert!(
            read_trail(&dir.path().join("none.jsonl"), TrailFilter::default())
                .expect("missing")
                .is_empty()
        );
    }
}
