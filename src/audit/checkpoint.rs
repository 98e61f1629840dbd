//! The checkpoint registry that makes several replicas' trails one piece of
//! evidence. Each replica keeps its own hash-chained trail (its own file and
//! key); after every pass it records its trail's head (sequence number, hash
//! and the head's signature) as a [`Checkpoint`] row in the shared state
//! store. The rows are themselves a hash chain (`prev`, `row_hash`), numbered
//! in the order they were written, so the registry says which trails exist,
//! how far each reached and in what order: a trail missing, cut short,
//! rewritten or reordered against it is caught by
//! [`verify_replicas`](super::verify_replicas).
//!
//! A trail's id is the hash of its first entry: it needs no new field and
//! any copy of the trail proves it.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::canonical::{canonical, chain_hash, same_hash};
use super::read::{ReadError, parse_entry};
use super::{GENESIS, head_path};

/// A trail's head as its head file records it, with the trail's id.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailHead {
    /// The trail's id: the hash of its first entry.
    pub trail: String,
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash.
    pub hash: String,
    /// The head's signature (`{"key", "ed25519"}`), when the trail is signed.
    pub sig: Option<Value>,
}

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Its place in the registry, from 1.
    pub id: u64,
    /// The trail it anchors (the hash of the trail's first entry).
    pub trail: String,
    /// The trail's last entry then.
    pub seq: u64,
    /// That entry's hash.
    pub hash: String,
    /// The trail's signature over `seq` and `hash`, when signed.
    pub sig: Option<Value>,
    /// When it was recorded (milliseconds since the epoch).
    pub at: i64,
    /// The previous row's `row_hash` (64 zeros for the first).
    pub prev: String,
    /// SHA-256 over `prev` and the row's other fields.
    pub row_hash: String,
}

impl Checkpoint {
    /// The row after `last` anchoring `head`, recorded at `at` (ms).
    pub fn next(last: Option<&Checkpoint>, head: &TrailHead, at: i64) -> Self {
        let mut row = Self {
            id: last.map_or(1, |l| l.id + 1),
            trail: head.trail.clone(),
            seq: head.seq,
            hash: head.hash.clone(),
            sig: head.sig.clone(),
            at,
            prev: last.map_or_else(|| GENESIS.to_owned(), |l| l.row_hash.clone()),
            row_hash: String::new(),
        };
        row.row_hash = row.computed_hash();
        row
    }

    fn computed_hash(&self) -> String {
        let body = json!({
            "id": self.id, "trail": self.trail, "seq": self.seq, "hash": self.hash,
            "sig": self.sig, "at": self.at, "prev": self.prev,
        });
        chain_hash(&self.prev, &canonical(&body))
    }

    /// Whether `row_hash` is the hash of the row's fields.
    pub fn is_intact(&self) -> bool {
        same_hash(&self.computed_hash(), &self.row_hash)
    }
}

/// The head of the trail at `path`, or `None` when it has no entry yet.
pub fn read_head(path: &Path) -> Result<Option<TrailHead>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let Some(first) = BufReader::new(file).lines().next() else {
        return Ok(None);
    };
    let bad = |problem: String| ReadError::BadLine {
        path: path.to_path_buf(),
        line: 1,
        problem,
    };
    let trail = parse_entry(&first.map_err(io)?).map_err(bad)?.hash;
    let head_file = head_path(path);
    let text = std::fs::read_to_string(&head_file).map_err(|source| ReadError::Io {
        path: head_file.clone(),
        source,
    })?;
    let head: Value = serde_json::from_str(&text).map_err(|e| ReadError::BadLine {
        path: head_file.clone(),
        line: 1,
        problem: e.to_string(),
    })?;
    let (Some(seq), Some(hash)) = (
        head.get("seq").and_then(Value::as_u64),
        head.get("hash").and_then(Value::as_str),
    ) else {
        return Err(ReadError::BadLine {
            path: head_file,
            line: 1,
            problem: "the head file has no seq or hash".to_owned(),
        });
    };
    Ok(Some(TrailHead {
        trail,
        seq,
        hash: hash.to_owned(),
        sig: head.get("sig").cloned(),
    }))
}
