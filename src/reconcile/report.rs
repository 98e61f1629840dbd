//! [`PassReport`]: what one reconcile pass did, and whether it was clean
//! (what `run --once` exits with).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ActionResult;
use crate::workflow::Outcome;

/// What a pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Secrets decided.
    pub decided: usize,
    /// Decisions by kind.
    pub by_kind: HashMap<&'static str, usize>,
    /// Actions taken (including resumed runs).
    pub actions: Vec<ActionResult>,
    /// When something is due next.
    pub next_due: Option<DateTime<Utc>>,
    /// Secrets attested this pass.
    pub attested: usize,
    /// Secrets whose target or vault could not be asked (the last decision
    /// says `attestation_unavailable`), and providers that could not be read.
    pub unavailable: usize,
}

impl PassReport {
    /// Whether every action reached its goal (a busy secret counts as not yet).
    pub fn all_succeeded(&self) -> bool {
        self.actions.iter().all(|a| a.outcome.is_success())
    }

    /// The actions that did something (not those waiting for an approver).
    pub fn acted(&self) -> impl Iterator<Item = &ActionResult> {
        self.actions
            .iter()
            .filter(|a| !matches!(a.outcome, Outcome::PendingApproval { .. }))
    }

    /// Whether every action succeeded and every provider and target could
    /// be read: `run --once` exits 0 only then.
    pub fn clean(&self) -> bool {
        self.all_succeeded() && self.unavailable == 0
    }
}
