//! [`gather`]: the evidence for one secret from the configuration in effect
//! and the audit trail: its record and lineage, every entry about it in a
//! time window (read line by line, never the whole trail at once), and the
//! verification of the whole chain with the audit key's public key.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tenure_plugin_api::{SecretAddress, stamp};

use super::EvidenceError;
use super::model::{ChainView, Checkpoint, Evidence, EvidenceEntry, FORMAT, Window};
use super::record::{SOURCE, lineage_view, record_view};
use crate::audit::{AuditPublicKey, TrailEntry, VerifyOptions, parse_entry, verify_with};
use crate::config::Config;
use crate::governance::{Record, RecordMatch};

/// What to gather.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The secret.
    pub secret: &'a SecretAddress,
    /// Only entries written at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries written before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Whether a signal (`kind`, `key`) is about `secret` or its record: the
/// secret exposed, its owner's or workloads' status, its record's review,
/// its owner group's members.
fn signal_touches(kind: &str, key: &str, secret: &str, record: Option<&Record>) -> bool {
    match kind {
        "secret_exposed" => key == secret,
        "owner_status" | "owner_reassigned" => record.is_some_and(|r| r.owner == key),
        "workload_status" => record.is_some_and(|r| r.workloads.iter().any(|w| w == key)),
        "review" => record.is_some_and(|r| r.id == key),
        "group_members" => record
            .and_then(|r| r.owner_group.as_ref())
            .is_some_and(|g| g.name.eq_ignore_ascii_case(key)),
        _ => false,
    }
}

fn touches(signal: &Value, secret: &str, record: Option<&Record>) -> bool {
    match (
        signal.get("kind").and_then(Value::as_str),
        signal.get("key").and_then(Value::as_str),
    ) {
        (Some(kind), Some(key)) => signal_touches(kind, key, secret, record),
        _ => false,
    }
}

/// Why `entry` belongs to `secret`'s evidence, if it does (see
/// [`EvidenceEntry::relation`]).
pub fn relation(entry: &TrailEntry, secret: &str, record: Option<&Record>) -> Option<&'static str> {
    if entry.secret.as_deref() == Some(secret) {
        return Some("secret");
    }
    if entry.data.get("subject").and_then(Value::as_str) == Some(secret) {
        return Some("subject");
    }
    let signal = match entry.kind.as_str() {
        "event" => entry
            .data
            .get("signals")
            .and_then(Value::as_array)
            .is_some_and(|signals| signals.iter().any(|s| touches(s, secret, record))),
        "signal_removed" => entry
            .data
            .get("signal")
            .is_some_and(|s| touches(s, secret, record)),
        _ => false,
    };
    signal.then_some("signal")
}

/// A window bound as given (RFC 3339, with its fraction of a second if any).
fn exact(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// The chain's verification, with `keys` (the audit key's public key).
fn verify_chain(trail: &Path, keys: &[AuditPublicKey]) -> ChainView {
    let key = keys.first().map(AuditPublicKey::id);
    match verify_with(trail, VerifyOptions { keys }) {
        Ok(report) => ChainView {
            result: ChainView::VERIFIED.to_owned(),
            problem: None,
            entries: report.entries,
            head: (report.entries > 0).then_some(report.head),
            checkpoints: report.checkpoints,
            unsigned_prefix: report.unsigned_prefix,
            signatures_checked: report.signatures_checked,
            head_checked: report.head_checked,
            key,
            checkpoint: None,
        },
        Err(err) => ChainView {
            result: ChainView::FAILED.to_owned(),
            problem: Some(err.to_string()),
            entries: 0,
            head: None,
            checkpoints: 0,
            unsigned_prefix: 0,
            signatures_checked: !keys.is_empty(),
            head_checked: false,
            key,
            checkpoint: None,
        },
    }
}

/// The evidence for `request.secret` at `now`, from `config` (the
/// configuration in effect) and its audit trail, the chain verified with
/// `keys`. [`EvidenceError::Unknown`] when no record governs the secret and
/// no entry of the trail names it.
pub fn gather(
    config: &Config,
    request: Request<'_>,
    keys: &[AuditPublicKey],
    now: DateTime<Utc>,
) -> Result<Evidence, EvidenceError> {
    let secret = request.secret.to_string();
    let record = match config.governance.index.find(request.secret) {
        RecordMatch::One(i) => config.governance.records.get(i),
        RecordMatch::None | RecordMatch::Conflict(..) => None,
    };
    let trail = &config.audit_log;
    // Verified first: the entries read afterwards are cut at what was verified.
    let mut chain = verify_chain(trail, keys);
    let limit = chain.verified().then_some(chain.entries);
    let io = |source| EvidenceError::Io {
        path: trail.clone(),
        source,
    };
    let mut entries = Vec::new();
    let mut named = false;
    let mut last_signed: Option<TrailEntry> = None;
    let file = match std::fs::File::open(trail) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    for line in file.into_iter().flat_map(|f| BufReader::new(f).lines()) {
        let line = line.map_err(io)?;
        // A bad line: the chain verification already says what is wrong.
        let Ok(entry) = parse_entry(&line) else {
            break;
        };
        if limit.is_some_and(|limit| entry.seq > limit) {
            break;
        }
        if let Some(relation) = relation(&entry, &secret, record) {
            named = true;
            let kept = request.from.is_none_or(|from| entry.ts >= from)
                && request.to.is_none_or(|to| entry.ts < to);
            if kept {
                entries.push(EvidenceEntry::of(&entry, relation));
            }
        }
        if entry.is_signed() {
            last_signed = Some(entry);
        }
    }
    if record.is_none() && !named {
        return Err(EvidenceError::Unknown(secret));
    }
    chain.checkpoint = last_signed.map(|entry| Checkpoint {
        seq: entry.seq,
        hash: entry.hash.clone(),
        sig: entry.line.get("sig").cloned().unwrap_or(Value::Null),
        line: entry.line,
    });
    Ok(Evidence {
        format: FORMAT.to_owned(),
        generator: super::generator(),
        generated_at: stamp(now),
        secret,
        window: Window {
            from: request.from.map(exact),
            to: request.to.map(exact),
        },
        record: record.map(|r| record_view(r, &config.governance)),
        lineage: record.map(|r| lineage_view(r, now)),
        record_source: SOURCE.to_owned(),
        entries,
        chain,
    })
}
