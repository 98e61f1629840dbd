//! The rows behind attestation: each secret's latest result (the facts the
//! planner reads), each attestation pass with every result it covered (the
//! preimage of the digest its audit entry carries), the logins a revocation
//! or a retirement disabled (so they can be checked once their values are
//! gone from the vault), and the accounts discovery found that no record
//! approves.

use chrono::{DateTime, Utc};

/// A secret's latest attestation.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationRow {
    /// The secret's address.
    pub secret: String,
    /// When it was attested.
    pub at: DateTime<Utc>,
    /// `ok`, `drift` or `unavailable`.
    pub result: String,
    /// The findings (reason names), sorted.
    pub findings: Vec<String>,
    /// What was checked and what was seen (checks, proofs, privileges held,
    /// readable old versions): identifiers and proofs only, never a value.
    pub detail: serde_json::Value,
}

/// One attestation pass: its counts, and every result it covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationPass {
    /// Unique id.
    pub id: String,
    /// When it ended.
    pub at: DateTime<Utc>,
    /// Secrets attested.
    pub attested: u64,
    /// Results `ok`.
    pub ok: u64,
    /// Results `drift`.
    pub drift: u64,
    /// Results `unavailable`.
    pub unavailable: u64,
    /// The covered results, one line each (see `crate::attest::digest`).
    pub leaves: String,
    /// SHA-256 of `leaves`, hex: what the pass's audit entry carries.
    pub digest: String,
}

/// Which logins a row of [`StateStore::logins`](super::StateStore::logins) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoginRole {
    /// Disabled by a revocation: they must stay disabled.
    Revoked,
    /// Left by a retirement: they must accept no credential but the current one.
    Retired,
}

impl LoginRole {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Retired => "retired",
        }
    }

    /// Parses a name from [`LoginRole::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Revoked, Self::Retired]
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// Logins one secret's revocation or retirement disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginsRow {
    /// The secret's address.
    pub secret: String,
    /// Revoked or retired.
    pub role: LoginRole,
    /// The logins, as the target names them.
    pub names: Vec<String>,
    /// When they were recorded.
    pub at: DateTime<Utc>,
}

/// An account a target holds that no governed secret names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmanagedRow {
    /// The target.
    pub target: String,
    /// The login, as the target names it.
    pub login: String,
    /// When discovery first saw it.
    pub first_seen: DateTime<Utc>,
    /// When discovery last saw it.
    pub last_seen: DateTime<Utc>,
    /// `found`, `disabled` (with proof) or `gone` (no longer listed).
    pub state: String,
    /// The proof of disabling, or why it could not be disabled.
    pub detail: String,
}
