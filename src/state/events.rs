//! The rows behind event intake: accepted events (stored before they are
//! acknowledged, processed exactly once) and the governance signals they
//! leave behind (an owner who left, a workload that moved, a value that was
//! exposed), which the planner layers over the governance files.

use chrono::{DateTime, Utc};

/// An event accepted from a webhook, Event Grid or NATS.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundEvent {
    /// The dedup key: CloudEvents `source` and `id`, joined by a space.
    pub id: String,
    /// The transport's delivery id (`webhook-id`), unique when present.
    pub delivery_id: Option<String>,
    /// The event type (`io.tenure.owner.left`, ...).
    pub kind: String,
    /// The event's `data`.
    pub data: serde_json::Value,
    /// When the sender says it happened (CloudEvents `time`), if it said.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When Tenure stored it.
    pub received_at: DateTime<Utc>,
}

/// What storing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    /// Stored; it will be processed.
    Stored,
    /// An event with this id (or delivery id) was stored before: nothing changed.
    Duplicate,
}

/// Which governance fact a signal overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SignalKind {
    /// An owner's status (`key` the owner, `value` `left` or `active`).
    OwnerStatus,
    /// Records owned by `key` now belong to `value`.
    OwnerReassigned,
    /// A workload's status (`key` the workload, `value` `moved`,
    /// `decommissioned` or `running`).
    WorkloadStatus,
    /// A secret's value was exposed (`key` the address).
    SecretExposed,
    /// A record's review (`key` the record id, `value` `lapsed` or `completed`).
    Review,
    /// A SCIM group's members (`key` the group's `displayName`, `value` the
    /// owner ids of its members as a JSON array).
    GroupMembers,
}

impl SignalKind {
    /// Every kind, for parsing.
    pub const ALL: [SignalKind; 6] = [
        Self::OwnerStatus,
        Self::OwnerReassigned,
        Self::WorkloadStatus,
        Self::SecretExposed,
        Self::Review,
        Self::GroupMembers,
    ];

    /// The stable snake_case name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnerStatus => "owner_status",
            Self::OwnerReassigned => "owner_reassigned",
            Self::WorkloadStatus => "workload_status",
            Self::SecretExposed => "secret_exposed",
            Self::Review => "review",
            Self::GroupMembers => "group_members",
        }
    }

    /// Parses a name produced by [`SignalKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One governance fact learned from an event. A later signal for the same
/// kind and key replaces an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// What it overrides.
    pub kind: SignalKind,
    /// Whose fact it is (owner, workload, address or record id).
    pub key: String,
    /// The new value (see [`SignalKind`]).
    pub value: String,
    /// When it became true.
    pub at: DateTime<Utc>,
    /// The event that said so.
    pub event: String,
}
