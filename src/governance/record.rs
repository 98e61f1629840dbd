//! [`Record`]: the approved state of a secret, as written in governance files.

use chrono::{DateTime, TimeDelta, Utc};
use tenure_plugin_api::SecretAddress;

/// Which secrets a record governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Exactly one address.
    Exact(SecretAddress),
    /// Every address matching a glob (`*` stays within a path segment, `**` crosses them).
    Glob(String),
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(address) => address.fmt(f),
            Self::Glob(pattern) => f.write_str(pattern),
        }
    }
}

/// What to do when a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Make the credential stop working, and prove it.
    Revoke,
    /// Replace the credential.
    Rotate,
    /// Make a retired credential stop working again, and the vault stop
    /// serving retired values (only for what attestation finds retired).
    Retire,
    /// Ask a person, and notify the owner.
    Escalate,
    /// Record it and list it in the plan, without notifying anyone.
    Report,
}

/// How a record reacts to changes in owners, workloads and reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reactions {
    /// The owner has left.
    pub owner_left: Action,
    /// The vault's owner tag no longer matches the record's owner.
    pub owner_changed: Action,
    /// A workload holding the credential has moved.
    pub workload_moved: Action,
    /// Every workload holding the credential is decommissioned.
    pub workload_decommissioned: Action,
    /// The review date has passed.
    pub review_lapsed: Action,
    /// Attestation: the vault's current value no longer logs in.
    pub credential_rejected: Action,
    /// Attestation: a revoked credential works again.
    pub revocation_undone: Action,
    /// Attestation: a retired credential works again.
    pub retired_credential_alive: Action,
    /// Attestation: the vault still serves a retired or revoked value.
    pub retired_value_readable: Action,
    /// Attestation: an approved scope is not held (Tenure never grants).
    pub scope_missing: Action,
    /// Attestation: the target or the vault could not be asked.
    pub attestation_unavailable: Action,
}

impl Default for Reactions {
    fn default() -> Self {
        Self {
            owner_left: Action::Revoke,
            owner_changed: Action::Rotate,
            workload_moved: Action::Rotate,
            workload_decommissioned: Action::Revoke,
            review_lapsed: Action::Escalate,
            credential_rejected: Action::Rotate,
            revocation_undone: Action::Revoke,
            retired_credential_alive: Action::Retire,
            retired_value_readable: Action::Retire,
            scope_missing: Action::Escalate,
            attestation_unavailable: Action::Escalate,
        }
    }
}

/// Who approved the access, when, and under which ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The approver.
    pub by: String,
    /// When it was approved.
    pub at: DateTime<Utc>,
    /// The change or access ticket, if any.
    pub ticket: Option<String>,
}

/// The group a record's owner must belong to (`owner_group`), as the
/// identity provider reports its members through SCIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerGroup {
    /// The group's name (its SCIM `displayName`, compared without regard to case).
    pub name: String,
    /// Since when the owner is no longer a member, if the group's latest
    /// members leave them out: the owner counts as having left.
    pub owner_left_at: Option<DateTime<Utc>>,
}

/// A time-limited, approved deviation: while it holds, rotation and narrowing are waived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Until when it holds.
    pub until: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approved_by: String,
}

/// A parsed cron schedule (with seconds optional), kept with its source text.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The expression as written.
    pub source: String,
    /// The parsed expression.
    pub cron: croner::Cron,
}

impl Schedule {
    /// Parses a cron expression (5 fields, or 6 with seconds).
    pub fn parse(source: &str) -> Result<Self, String> {
        source
            .parse::<croner::Cron>()
            .map(|cron| Self {
                source: source.to_owned(),
                cron,
            })
            .map_err(|e| e.to_string())
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }
}

impl Record {
    /// Whether the record approves acting on `account`.
    pub fn approves_account(&self, account: &str) -> bool {
        match &self.account {
            None => true,
            Some(pattern) => globset::Glob::new(pattern)
                .map(|g| g.compile_matcher().is_match(account))
                .unwrap_or(false),
        }
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Schedule {}

/// One governance record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Unique id.
    pub id: String,
    /// The secrets it governs.
    pub selector: Selector,
    /// The configured target that accepts the credential.
    pub target: String,
    /// The account the record governs (a name or a glob): the only one
    /// Tenure will act on, whatever account a secret's value names.
    /// Required for targets with accounts.
    pub account: Option<String>,
    /// The accountable owner.
    pub owner: String,
    /// The group the owner must belong to, if the record names one.
    pub owner_group: Option<OwnerGroup>,
    /// Why the credential exists.
    pub purpose: String,
    /// Workloads approved to hold it.
    pub workloads: Vec<String>,
    /// Maximum age of the current version.
    pub max_age: Option<TimeDelta>,
    /// Rotate at every occurrence of this schedule.
    pub schedule: Option<Schedule>,
    /// When the approval ends: afterwards the credential is revoked.
    pub expires: Option<DateTime<Utc>>,
    /// Act this long before an age limit or an expiry.
    pub renew_before: TimeDelta,
    /// How long the previous credential keeps working after a rotation.
    pub grace: TimeDelta,
    /// How long a revoked secret stays recoverable where the vault deletes
    /// instead of disabling (AWS Secrets Manager); `None`: the provider's default.
    pub recovery_window: Option<std::time::Duration>,
    /// Dynamic-secret lease prefixes (Vault/OpenBao) that a revocation also
    /// revokes, proving none remain: the workload's database/creds leases.
    pub leases: Vec<String>,
    /// Approved privileges; anything more is narrowed.
    pub scopes: Vec<String>,
    /// Approval lineage.
    pub approval: Approval,
    /// When the record must be reviewed again.
    pub review_by: Option<DateTime<Utc>>,
    /// The last completed access review, if any (from events, the API or
    /// an import; never from the files).
    pub last_review: Option<super::Review>,
    /// An approved deviation, if any.
    pub exception: Option<Exception>,
    /// Reactions to owner, workload and review changes, and to what
    /// attestation finds.
    pub reactions: Reactions,
    /// How often the target is asked again whether the credential works,
    /// holds exactly its scopes, and whether revoked and retired ones stay
    /// dead; `None`: never.
    pub attest_every: Option<std::time::Duration>,
    /// The actions on its secrets that wait for a second person, replacing
    /// `[approvals] require` (`None`: that list applies).
    pub require_approval: Option<std::collections::BTreeSet<crate::approvals::ApprovalAction>>,
}
