//! What driving a run ends in ([`Outcome`]), and why the engine could not
//! drive one ([`EngineError`]).

use chrono::{DateTime, Utc};

use crate::audit::AuditError;
use crate::state::StateError;

/// Why the engine could not drive a run (the run itself stays persisted).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The state store failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit trail could not be written.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// How a call to the engine ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The run finished and its outcome was verified.
    Succeeded,
    /// The rotation is promoted and verified; the previous credential is retired at `retire_at`.
    Promoted {
        /// When the previous credential stops working.
        retire_at: DateTime<Utc>,
    },
    /// A phase failed and will be retried at `at`.
    RetryLater {
        /// When.
        at: DateTime<Utc>,
        /// The error.
        error: String,
    },
    /// The new credential failed its test; the target and vault were restored.
    RolledBack {
        /// The error that caused the rollback.
        error: String,
    },
    /// The run gave up; the secret is escalated (and quarantined if it keeps failing).
    Failed {
        /// The error.
        error: String,
    },
    /// Another process holds the secret's lease, or another run is in progress.
    Busy,
    /// Checked again under the lease, the action was no longer needed
    /// (another replica or an operator did it first).
    NotNeeded,
    /// The decided action could not be carried out (the target cannot do
    /// it); escalated.
    Unsupported {
        /// Why.
        error: String,
    },
    /// The action waits for a second person (`[approvals]`): nothing was
    /// done yet.
    PendingApproval {
        /// The request's id, as `/v1/approvals/{id}` and `tenure approve` take it.
        approval: String,
    },
}

impl Outcome {
    /// The stable name used as the `result` metric label.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Promoted { .. } => "promoted",
            Self::RetryLater { .. } => "retry_later",
            Self::RolledBack { .. } => "rolled_back",
            Self::Failed { .. } => "failed",
            Self::Busy => "busy",
            Self::NotNeeded => "not_needed",
            Self::Unsupported { .. } => "unsupported",
            Self::PendingApproval { .. } => "pending_approval",
        }
    }

    /// Whether the action reached its goal.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Promoted { .. } | Self::NotNeeded
        )
    }
}

/// A check, run under the secret's lease, that the action is still needed.
pub type StillNeeded<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>>;
