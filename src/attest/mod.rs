//! Attestation: proving, again and again, that approved access exists and
//! removed access is dead.
//!
//! Every governed secret is attested on its record's cadence (`attest_every`,
//! spread by a stable per-secret offset, under a per-target budget). One
//! attestation asks the target and the vault, read-only, with the calls the
//! workflows already use:
//!
//! - an active secret: the vault's current value still logs in (or, where
//!   nothing outside the vault accepts it, still has its format); the
//!   credential holds exactly its approved scopes; the logins retired before
//!   accept no credential but the current one; no old version the vault
//!   still serves holds a value that logs in;
//! - a revoked secret: its logins stay disabled and the vault refuses a
//!   consumer's read;
//! - both: the vault serves no retired value (old versions, stages).
//!
//! A check that could not be made is `attestation_unavailable`, never a
//! pass. Results are facts for the pure decision, like an owner's status.
//!
//! ```text
//! cadence   when a secret is due (stable offset over the interval)
//! check     the checks of one secret
//! ledger    results as rows, the pass digest, the audit entries
//! discover  accounts the target holds that no governed secret names
//! ```

mod cadence;
mod check;
mod discover;
mod ledger;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tenure_plugin_api::SecretAddress;

use crate::governance::Attested;
use crate::policy::Reason;

pub use cadence::{is_due, next_due};
pub use check::{Subject, attest_secret, unreachable};
pub use discover::{Discovered, disable as disable_unmanaged, discover, governed_logins};
pub use ledger::{Ledger, facts_of, leaves};

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// What should hold holds.
    Ok,
    /// What should hold does not.
    Drift,
    /// The target or the vault could not be asked.
    Unavailable,
    /// The check does not apply (said why in its detail).
    NotApplicable,
}

/// One check of an attestation: what was asked, and what was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Which check (`credential_works`, `privileges`, `revoked_logins`, ...).
    pub name: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// The proof, or the error: identifiers and server answers, never a value.
    pub detail: Value,
}

/// The result of attesting one secret.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The secret.
    pub secret: SecretAddress,
    /// When.
    pub at: DateTime<Utc>,
    /// The drift it found, as facts for the decision.
    pub attested: Attested,
    /// The credential holds privileges beyond its approved scopes.
    pub scope_excess: bool,
    /// The privileges the credential holds, when they were read.
    pub privileges: Option<Vec<String>>,
    /// The logins the current value authenticates as (for discovery).
    pub logins: Vec<String>,
    /// Every check made.
    pub checks: Vec<Check>,
}

impl Attestation {
    /// An attestation with no check made yet.
    pub fn new(secret: SecretAddress, at: DateTime<Utc>) -> Self {
        Self {
            secret,
            at,
            attested: Attested::clean(at),
            scope_excess: false,
            privileges: None,
            logins: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Adds a check.
    pub fn check(&mut self, name: &'static str, outcome: Outcome, detail: Value) {
        if outcome == Outcome::Unavailable {
            self.attested.unavailable = true;
        }
        self.checks.push(Check {
            name,
            outcome,
            detail,
        });
    }

    /// The findings, as reason names in their stable order.
    pub fn findings(&self) -> Vec<&'static str> {
        let a = &self.attested;
        [
            (a.account_mismatch, Reason::AccountMismatch),
            (a.revocation_undone, Reason::RevocationUndone),
            (a.credential_rejected, Reason::CredentialRejected),
            (a.retired_credential_alive, Reason::RetiredCredentialAlive),
            (a.retired_value_readable, Reason::RetiredValueReadable),
            (self.scope_excess, Reason::ScopeExcess),
            (a.scope_missing, Reason::ScopeMissing),
            (a.unavailable, Reason::AttestationUnavailable),
        ]
        .into_iter()
        .filter(|(found, _)| *found)
        .map(|(_, reason)| reason.as_str())
        .collect()
    }

    /// `drift` when anything was found, else `unavailable` when a check
    /// could not be made, else `ok`.
    pub fn result(&self) -> &'static str {
        let findings = self.findings();
        if findings
            .iter()
            .any(|f| *f != Reason::AttestationUnavailable.as_str())
        {
            "drift"
        } else if self.attested.unavailable {
            "unavailable"
        } else {
            "ok"
        }
    }
}
