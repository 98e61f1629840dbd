//! Owners and workloads, with their status today.

use chrono::{DateTime, Utc};

/// Whether an owner is still around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerStatus {
    /// Still responsible.
    Active,
    /// Left the organisation (or the team).
    Left,
}

/// A person (or team) who owns secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Identifier, usually an email address.
    pub id: String,
    /// Current status.
    pub status: OwnerStatus,
    /// When the status last changed, if known.
    pub since: Option<DateTime<Utc>>,
}

/// Whether a workload still runs where it was approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadStatus {
    /// Running where it was approved.
    Running,
    /// Moved (another cluster, account or team): credentials it held may have leaked along.
    Moved,
    /// Gone for good.
    Decommissioned,
}

/// A service, job or host that consumes secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Identifier.
    pub id: String,
    /// Current status.
    pub status: WorkloadStatus,
    /// When the status last changed, if known.
    pub since: Option<DateTime<Utc>>,
}
