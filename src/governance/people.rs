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

/// Someone or something governance names, with its status today: an
/// [`Owner`] or a [`Workload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing<S> {
    /// Identifier (for an owner, usually an email address).
    pub id: String,
    /// Current status.
    pub status: S,
    /// When the status last changed, if known.
    pub since: Option<DateTime<Utc>>,
}

/// A person (or team) who owns secrets.
pub type Owner = Standing<OwnerStatus>;

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
pub type Workload = Standing<WorkloadStatus>;
