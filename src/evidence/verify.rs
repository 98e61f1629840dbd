//! [`verify`]: checks an evidence file (the JSON document, or the HTML page
//! that embeds it) with only the audit key's public key: every entry's
//! written line on its own (its hash from its content and `prev`, its
//! Ed25519 signature), that what each entry shows is what its line says,
//! that the entries are in increasing sequence order, that the embedded
//! checkpoint is signed and covers them, and that the chain verified when
//! the evidence was written. For a page written by this same version, the
//! visible part is rendered again from the embedded document and must match.

use serde_json::Value;

use super::html;
use super::model::{Evidence, EvidenceEntry, FORMAT};
use crate::audit::{AuditPublicKey, check_entry};

/// Why an evidence file does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Not an evidence document (or a page without one).
    #[error("not an evidence file: {0}")]
    NotEvidence(String),
    /// One entry is wrong.
    #[error("entry {seq} ({kind}, hash {hash}): {problem}")]
    Entry {
        /// The entry's sequence number, as the file shows it.
        seq: u64,
        /// Its kind.
        kind: String,
        /// Its hash, as the file shows it.
        hash: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The checkpoint is missing, wrong or does not cover the entries.
    #[error("the checkpoint {0}")]
    Checkpoint(String),
    /// The trail had failed verification when the evidence was written.
    #[error("the trail failed verification when this evidence was written: {0}")]
    ChainFailed(String),
    /// The visible page is not what the embedded document renders.
    #[error(
        "the page shows something other than the evidence it embeds: its visible part was edited"
    )]
    Page,
}

/// An evidence file that checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The secret.
    pub secret: String,
    /// Entries checked.
    pub entries: usize,
    /// The first and last entries' sequence numbers, if any.
    pub span: Option<(u64, u64)>,
    /// The checkpoint's sequence number, if there are entries.
    pub checkpoint: Option<u64>,
    /// Whether the visible part of a page was compared (`None`: not a page).
    pub page_checked: Option<bool>,
    /// Who wrote it (`tenure <version>`).
    pub generator: String,
}

/// The file's text as a document, and the page when it is HTML.
fn document(text: &str) -> Result<(Evidence, bool), CheckError> {
    let (json, page) = if text.trim_start().starts_with('{') {
        (text, false)
    } else {
        let json = html::embedded(text).ok_or_else(|| {
            CheckError::NotEvidence("neither JSON nor a page with an embedded document".into())
        })?;
        (json, true)
    };
    let evidence: Evidence =
        serde_json::from_str(json).map_err(|e| CheckError::NotEvidence(e.to_string()))?;
    if evidence.format != FORMAT {
        return Err(CheckError::NotEvidence(format!(
            "its format is {:?}, not {FORMAT:?}",
            evidence.format
        )));
    }
    Ok((evidence, page))
}

/// What an entry shows, apart from what a version's wording adds.
fn plain(entry: &EvidenceEntry) -> (u64, &str, &str, Option<&str>, Option<&str>, &Value, &str) {
    (
        entry.seq,
        &entry.ts,
        &entry.kind,
        entry.secret.as_deref(),
        entry.run.as_deref(),
        &entry.data,
        &entry.hash,
    )
}

/// Checks one entry of `evidence` on its own.
fn check_one(
    evidence: &Evidence,
    entry: &EvidenceEntry,
    keys: &[AuditPublicKey],
    same_version: bool,
) -> Result<(), String> {
    check_entry(&entry.line, keys)?;
    let written = entry.from_line()?;
    let shown_as_written = if same_version {
        &written == entry
    } else {
        plain(&written) == plain(entry)
    };
    if !shown_as_written {
        return Err(
            "what it shows differs from its signed line: the evidence file was changed".into(),
        );
    }
    let about = match entry.relation.as_str() {
        "secret" => entry.secret.as_deref() == Some(evidence.secret.as_str()),
        "subject" => entry.data.get("subject").and_then(Value::as_str) == Some(&evidence.secret),
        "signal" => matches!(entry.kind.as_str(), "event" | "signal_removed"),
        _ => false,
    };
    if !about {
        return Err(format!(
            "it is not about {} as its relation {:?} says",
            evidence.secret, entry.relation
        ));
    }
    Ok(())
}

/// Checks that the checkpoint is signed and covers the entries.
fn check_checkpoint(evidence: &Evidence, keys: &[AuditPublicKey]) -> Result<Option<u64>, String> {
    let last = evidence.entries.last();
    let Some(checkpoint) = &evidence.chain.checkpoint else {
        return match last {
            Some(_) => Err("is missing: no signed entry covers the entries".into()),
            None => Ok(None),
        };
    };
    check_entry(&checkpoint.line, keys).map_err(|problem| format!("entry {problem}"))?;
    let line = &checkpoint.line;
    if line.get("seq").and_then(Value::as_u64) != Some(checkpoint.seq)
        || line.get("hash").and_then(Value::as_str) != Some(checkpoint.hash.as_str())
        || line.get("sig") != Some(&checkpoint.sig)
    {
        return Err("shows another sequence number, hash or signature than its line".into());
    }
    if let Some(last) = last {
        if checkpoint.seq < last.seq {
            return Err(format!(
                "is entry {}, before the last entry {}: it does not cover them",
                checkpoint.seq, last.seq
            ));
        }
        if checkpoint.seq == last.seq && checkpoint.hash != last.hash {
            return Err(format!("disagrees with entry {} on its hash", last.seq));
        }
    }
    Ok(Some(checkpoint.seq))
}

/// Checks the evidence file's `text` with `keys` (the audit key's public
/// key); the first problem otherwise.
pub fn verify(text: &str, keys: &[AuditPublicKey]) -> Result<Verified, CheckError> {
    let (evidence, page) = document(text)?;
    let same_version = evidence.generator == super::generator();
    let mut previous: Option<u64> = None;
    for entry in &evidence.entries {
        let bad = |problem: String| CheckError::Entry {
            seq: entry.seq,
            kind: entry.kind.clone(),
            hash: entry.hash.clone(),
            problem,
        };
        if previous.is_some_and(|p| entry.seq <= p) {
            return Err(bad(format!(
                "comes after entry {} but does not follow it: the entries were reordered",
                previous.unwrap_or_default()
            )));
        }
        check_one(&evidence, entry, keys, same_version).map_err(bad)?;
        previous = Some(entry.seq);
    }
    let checkpoint = check_checkpoint(&evidence, keys).map_err(CheckError::Checkpoint)?;
    if !evidence.chain.verified() {
        return Err(CheckError::ChainFailed(
            evidence.chain.problem.clone().unwrap_or_default(),
        ));
    }
    let page_checked = match (page, same_version) {
        (false, _) => None,
        (true, true) => {
            if html::render(&evidence) != text {
                return Err(CheckError::Page);
            }
            Some(true)
        }
        (true, false) => Some(false),
    };
    Ok(Verified {
        secret: evidence.secret.clone(),
        entries: evidence.entries.len(),
        span: evidence
            .entries
            .first()
            .zip(evidence.entries.last())
            .map(|(first, last)| (first.seq, last.seq)),
        checkpoint,
        page_checked,
        generator: evidence.generator,
    })
}
