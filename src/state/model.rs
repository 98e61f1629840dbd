//! The rows the state store keeps.

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunKind {
    /// Replace the credential.
    Rotate,
    /// Make the credential stop working.
    Revoke,
    /// Cut privileges to the approved scopes.
    Narrow,
    /// Make retired credentials dead again and retired values unreadable.
    Retire,
}

/// One step of a run. Persisted before its side effect; every step is idempotent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Rotate: issue a new value and stage it as pending in the vault.
    CreatePending,
    /// Rotate: make the target accept the pending value.
    SetInTarget,
    /// Rotate: prove the pending value works.
    Test,
    /// Rotate: make the pending version current in the vault.
    Promote,
    /// Rotate: after the grace period, make the previous value stop working.
    Retire,
    /// Rotate, after a failed test: restore the target and discard the pending version.
    Rollback,
    /// Revoke: make the target refuse the credential.
    DisableInTarget,
    /// Revoke: prove the credential no longer authenticates.
    VerifyRevoked,
    /// Revoke: disable the secret in its vault and read back that it is disabled.
    DisableInVault,
    /// Narrow: cut privileges.
    Narrow,
    /// Narrow: read privileges back and compare.
    VerifyNarrowed,
    /// Retire: disable retired logins and retired credentials still accepted.
    RetireInTarget,
    /// Retire: prove the retired credentials and logins are refused.
    VerifyRetired,
    /// Retire: make the vault stop serving retired values, and prove it.
    RetireInVault,
    /// Nothing left to do.
    Done,
}

impl Phase {
    /// Every phase, for parsing.
    pub const ALL: [Phase; 15] = [
        Self::CreatePending,
        Self::SetInTarget,
        Self::Test,
        Self::Promote,
        Self::Retire,
        Self::Rollback,
        Self::DisableInTarget,
        Self::VerifyRevoked,
        Self::DisableInVault,
        Self::Narrow,
        Self::VerifyNarrowed,
        Self::RetireInTarget,
        Self::VerifyRetired,
        Self::RetireInVault,
        Self::Done,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatePending => "create_pending",
            Self::SetInTarget => "set_in_target",
            Self::Test => "test",
            Self::Promote => "promote",
            Self::Retire => "retire",
            Self::Rollback => "rollback",
            Self::DisableInTarget => "disable_in_target",
            Self::VerifyRevoked => "verify_revoked",
            Self::DisableInVault => "disable_in_vault",
            Self::Narrow => "narrow",
            Self::VerifyNarrowed => "verify_narrowed",
            Self::RetireInTarget => "retire_in_target",
            Self::VerifyRetired => "verify_retired",
            Self::RetireInVault => "retire_in_vault",
            Self::Done => "done",
        }
    }

    /// Parses a name from [`Phase::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RunKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rotate => "rotate",
            Self::Revoke => "revoke",
            Self::Narrow => "narrow",
            Self::Retire => "retire",
        }
    }

    /// Parses a name from [`RunKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Rotate, Self::Revoke, Self::Narrow, Self::Retire]
            .into_iter()
            .find(|k| k.as_str() == name)
    }

    /// The phase a new run of this kind starts in.
    pub fn first_phase(self) -> Phase {
        match self {
            Self::Rotate => Phase::CreatePending,
            Self::Revoke => Phase::DisableInTarget,
            Self::Narrow => Phase::Narrow,
            Self::Retire => Phase::RetireInTarget,
        }
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Still has phases to run (possibly not before `not_before`).
    Active,
    /// Finished; the outcome was verified.
    Succeeded,
    /// A failed test was rolled back; the previous credential stayed current.
    RolledBack,
    /// Gave up; the secret is escalated.
    Failed,
}

impl RunStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Succeeded => "succeeded",
            Self::RolledBack => "rolled_back",
            Self::Failed => "failed",
        }
    }

    /// Parses a name from [`RunStatus::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Active,
            Self::Succeeded,
            Self::RolledBack,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// One workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Unique id; also the vault's idempotency token for the pending version.
    pub id: String,
    /// The secret.
    pub secret: SecretAddress,
    /// What the run does.
    pub kind: RunKind,
    /// The phase to run next (already persisted before its side effect).
    pub phase: Phase,
    /// Where the run stands.
    pub status: RunStatus,
    /// Failed attempts of the current phase.
    pub attempts: u32,
    /// The last error, if any (never a secret).
    pub last_error: Option<String>,
    /// Why the run was started.
    pub reasons: Vec<String>,
    /// The governing record, if any.
    pub record: Option<String>,
    /// The target, if any.
    pub target: Option<String>,
    /// The staged version (rotation).
    pub pending_version: Option<String>,
    /// The version current when the run started (rotation: the one to retire).
    pub previous_version: Option<String>,
    /// Do not run the phase before this time (backoff, grace period).
    pub not_before: DateTime<Utc>,
    /// When the run was created.
    pub created_at: DateTime<Utc>,
    /// When the run last changed.
    pub updated_at: DateTime<Utc>,
    /// Compare-and-swap counter.
    pub seq: i64,
}

impl Run {
    /// A new active run in its first phase.
    pub fn new(
        secret: SecretAddress,
        kind: RunKind,
        reasons: Vec<String>,
        record: Option<String>,
        target: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        // The store keeps milliseconds.
        let now = chrono::SubsecRound::trunc_subsecs(now, 3);
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            secret,
            kind,
            phase: kind.first_phase(),
            status: RunStatus::Active,
            attempts: 0,
            last_error: None,
            reasons,
            record,
            target,
            pending_version: None,
            previous_version: None,
            not_before: now,
            created_at: now,
            updated_at: now,
            seq: 0,
        }
    }
}

/// A queued reconcile of one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// The secret.
    pub secret: SecretAddress,
    /// When it is due.
    pub due: DateTime<Utc>,
    /// Why it was queued.
    pub reason: String,
}

/// What the store remembers about one secret between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretState {
    /// Consecutive failed runs.
    pub failures: u32,
    /// Quarantined after too many failures: no automatic action until released.
    pub quarantined: bool,
    /// The last error (never a secret).
    pub last_error: Option<String>,
    /// When the last rotation was promoted.
    pub last_rotated_at: Option<DateTime<Utc>>,
    /// When the secret was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Fingerprint of the last decision recorded in the audit trail.
    pub last_decision: Option<String>,
}
