//! What a decision is made about and what it says: the [`Subject`], the
//! [`Decision`] and its [`DecisionKind`], and the [`Defaults`] for secrets
//! no record governs.

use chrono::{DateTime, Utc};

use super::Reasons;
use crate::governance::{Action, Owner, Record, SecretFacts, Workload};

/// What to do with a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionKind {
    /// Nothing to do until `next_due`.
    Compliant,
    /// A person must look (and, unless only reported, the owner is notified).
    Escalate,
    /// Replace the credential.
    Rotate,
    /// Cut privileges down to the approved scopes.
    Narrow,
    /// Make a retired credential (or a retired value in the vault) dead again.
    Retire,
    /// Make the credential stop working.
    Revoke,
}

impl DecisionKind {
    /// The stable lowercase name used in plans, logs, the audit trail and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Escalate => "escalate",
            Self::Rotate => "rotate",
            Self::Narrow => "narrow",
            Self::Retire => "retire",
            Self::Revoke => "revoke",
        }
    }

    /// Whether the decision makes the workflow engine act.
    pub fn is_action(self) -> bool {
        matches!(
            self,
            Self::Rotate | Self::Narrow | Self::Retire | Self::Revoke
        )
    }
}

impl std::fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of [`decide`]. `Copy`: it allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// What to do.
    pub kind: DecisionKind,
    /// Why (every rule that fired, including the ones a stronger action outranked).
    pub reasons: Reasons,
    /// Rules that fired but an active exception waived.
    pub waived: Reasons,
    /// When the decision may change next (now, for an action).
    pub next_due: Option<DateTime<Utc>>,
    /// Whether the owner should be notified (an escalation that is not only a report).
    pub notify: bool,
}

/// Policy that applies where no record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    /// What to do with a secret no record governs: revoke, escalate or report.
    pub on_orphan: Action,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            on_orphan: Action::Report,
        }
    }
}

/// The secret being decided, and what governs it.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    /// Facts about the secret.
    pub facts: &'a SecretFacts,
    /// The governing record (`None` for an orphan).
    pub record: Option<&'a Record>,
    /// Two equally specific records match: a person must pick.
    pub conflicting_records: bool,
    /// The record owner's facts, if the owner is known.
    pub owner: Option<&'a Owner>,
    /// Whether owners are modelled at all (an unknown owner is only a finding when they are).
    pub owners_modelled: bool,
    /// Looks up a workload's facts.
    pub workload: &'a dyn Fn(&str) -> Option<&'a Workload>,
}
