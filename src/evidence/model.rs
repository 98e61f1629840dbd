//! The evidence document ([`Evidence`]): what `tenure evidence` writes as
//! JSON and embeds in its HTML page, and what `tenure evidence verify`
//! reads back. Every field is owned and plain (times as the RFC 3339 text
//! they were written with), so a document read back renders the same page.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::words;
use crate::audit::{TrailEntry, entry_of};
use crate::governance::Review;

/// The `format` of this document's version.
pub const FORMAT: &str = "tenure-evidence/1";

/// The evidence for one secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// [`FORMAT`].
    pub format: String,
    /// The program that wrote it (`tenure <version>`).
    pub generator: String,
    /// When it was written (RFC 3339).
    pub generated_at: String,
    /// The secret (`<provider>:<path>`).
    pub secret: String,
    /// The time window the entries were taken from.
    pub window: Window,
    /// The governance record, as the configuration in effect had it.
    pub record: Option<RecordView>,
    /// The record's approval lineage.
    pub lineage: Option<LineageView>,
    /// Where the record and lineage come from, and what vouches for them.
    pub record_source: String,
    /// Every audit entry for the secret in the window, in order.
    pub entries: Vec<EvidenceEntry>,
    /// The verification of the whole trail when the document was written.
    pub chain: ChainView,
}

/// Entries written at or after `from` and before `to` (RFC 3339; `None`: unbounded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The start, if any.
    pub from: Option<String>,
    /// The end (exclusive), if any.
    pub to: Option<String>,
}

/// An owner or workload with its status today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingView {
    /// The owner's or workload's id.
    pub id: String,
    /// `active`/`left` for an owner, `running`/`moved`/`decommissioned` for
    /// a workload, `unknown` when governance does not list it.
    pub status: String,
    /// Since when (RFC 3339), if known.
    pub since: Option<String>,
}

/// A governance record as the evidence shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// The record's id.
    pub id: String,
    /// The secrets it governs (an address or a glob).
    pub selector: String,
    /// The accountable owner, with their status.
    pub owner: StandingView,
    /// The group the owner must belong to, if any.
    pub owner_group: Option<String>,
    /// Why the credential exists.
    pub purpose: String,
    /// The approved workloads, with their status.
    pub workloads: Vec<StandingView>,
    /// The target that accepts the credential.
    pub target: String,
    /// The account the record governs, if it names one.
    pub account: Option<String>,
    /// The approved privileges.
    pub scopes: Vec<String>,
    /// The maximum age of the current version (`90d`), if any.
    pub max_age: Option<String>,
    /// The rotation schedule (cron), if any.
    pub schedule: Option<String>,
    /// When the approval ends (RFC 3339), if ever.
    pub expires: Option<String>,
}

/// Who approved the access, when, under which ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    /// The approver.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// The ticket, if any.
    pub ticket: Option<String>,
}

/// An approved deviation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionView {
    /// Who approved it.
    pub approved_by: String,
    /// Until when it holds (RFC 3339).
    pub until: String,
    /// Why.
    pub reason: String,
    /// Whether it still held when the document was written.
    pub in_force: bool,
}

/// A record's approval lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageView {
    /// The approval in the governance files.
    pub approval: ApprovalView,
    /// When the record must be reviewed again (RFC 3339), if ever.
    pub review_by: Option<String>,
    /// The last completed access review, if any.
    pub last_review: Option<Review>,
    /// The approved exception, if any.
    pub exception: Option<ExceptionView>,
}

/// One audit entry, as written and in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    /// Its sequence number in the trail.
    pub seq: u64,
    /// When it was written (RFC 3339, as written).
    pub ts: String,
    /// What it records (`decision`, `phase`, `verification`, ...).
    pub kind: String,
    /// The secret it names, if any.
    pub secret: Option<String>,
    /// The workflow run, if any.
    pub run: Option<String>,
    /// Why it belongs to this secret's evidence: `secret` (it names the
    /// secret), `subject` (an approval about it), or `signal` (an event or
    /// signal about its record, owner, workloads or the secret itself).
    pub relation: String,
    /// What happened, in words.
    pub summary: String,
    /// The proof it carries, in words, if any.
    pub proof: Option<String>,
    /// What it says.
    pub data: Value,
    /// Its chain hash.
    pub hash: String,
    /// The line as written (with `prev`, `hash` and `sig`): checked on its
    /// own with the public key.
    pub line: Value,
}

impl EvidenceEntry {
    /// The entry as the evidence shows it.
    pub fn of(entry: &TrailEntry, relation: &str) -> Self {
        Self {
            seq: entry.seq,
            ts: entry
                .line
                .get("ts")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            kind: entry.kind.clone(),
            secret: entry.secret.clone(),
            run: entry.run.clone(),
            relation: relation.to_owned(),
            summary: words::summary(&entry.kind, &entry.data),
            proof: words::proof(&entry.kind, &entry.data),
            data: entry.data.clone(),
            hash: entry.hash.clone(),
            line: entry.line.clone(),
        }
    }

    /// The entry its `line` makes, with this entry's relation: what a
    /// document that was not changed holds.
    pub fn from_line(&self) -> Result<Self, String> {
        let entry = entry_of(self.line.clone())?;
        Ok(Self::of(&entry, &self.relation))
    }
}

/// The verification of the whole trail when the document was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainView {
    /// `verified` or `failed`.
    pub result: String,
    /// What failed, if anything.
    pub problem: Option<String>,
    /// Entries in the trail.
    pub entries: u64,
    /// The last entry's hash.
    pub head: Option<String>,
    /// Entries carrying a signature.
    pub checkpoints: u64,
    /// Entries written before signing was enabled.
    pub unsigned_prefix: u64,
    /// Whether the signatures were checked with the audit key's public key.
    pub signatures_checked: bool,
    /// Whether the trail's head file was checked.
    pub head_checked: bool,
    /// The id of the public key the signatures were checked with, if any.
    pub key: Option<String>,
    /// The last signed entry of the trail: its signature covers, through
    /// the chain, every entry above.
    pub checkpoint: Option<Checkpoint>,
}

impl ChainView {
    /// The result when the chain verified.
    pub const VERIFIED: &'static str = "verified";
    /// The result when it did not.
    pub const FAILED: &'static str = "failed";

    /// Whether the chain verified.
    pub fn verified(&self) -> bool {
        self.result == Self::VERIFIED
    }
}

/// A signed entry that covers the excerpt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Its sequence number.
    pub seq: u64,
    /// Its chain hash.
    pub hash: String,
    /// Its signature (`{"ed25519": <base64>, "key": <key id>}`).
    pub sig: Value,
    /// The line as written.
    pub line: Value,
}
