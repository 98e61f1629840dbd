//! An approver's decision on a request (the admin API's
//! `/v1/approvals/{id}/approve|reject`, `tenure approve`): refused for the
//! requester, a request no longer pending, or one expired; an approval is
//! carried out at once, a decision of Tenure's own decided again first.

use chrono::Utc;
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::info;

use super::{OPERATOR_REQUEST, TENURE};
use crate::approvals::{Approval, ApprovalAction, ApprovalError, ApprovalStatus};
use crate::audit::Event;
use crate::reconcile::{ReconcileError, Reconciler};
use crate::server::auth::Actor;
use crate::state::RunKind;
use crate::workflow::Outcome;

/// Why an approver's decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    /// No request has that id.
    #[error("no approval request has the id {0}")]
    NotFound(String),
    /// The request refused the decision (own request, not pending, expired).
    #[error(transparent)]
    Refused(#[from] ApprovalError),
    /// Storing or acting failed.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
}

impl From<crate::state::StateError> for DecideError {
    fn from(err: crate::state::StateError) -> Self {
        Self::Reconcile(err.into())
    }
}

/// An approver's decision and what came of it.
#[derive(Debug)]
pub struct Decided {
    /// The request as it stands now.
    pub approval: Approval,
    /// The action's outcome when it was carried out at once; `None` for a
    /// rejection, and for an unmanaged account (disabled at the next listing).
    pub outcome: Option<Outcome>,
}

impl Reconciler {
    /// `actor` approves (or rejects) request `id`; an approved action on a
    /// secret is carried out at once (decided again under its lease first).
    pub async fn decide_approval(
        &self,
        id: &str,
        actor: &Actor,
        approve: bool,
    ) -> Result<Decided, DecideError> {
        let mut approval = self
            .store
            .approval(id)
            .await?
            .ok_or_else(|| DecideError::NotFound(id.to_owned()))?;
        let now = Utc::now();
        if approval.expire(now) {
            self.transition(&approval, ApprovalStatus::Pending, "expired", None)
                .await?;
            return Err(
                ApprovalError::Expired(tenure_plugin_api::stamp(approval.expires_at)).into(),
            );
        }
        approval.decide(&actor.name, approve, now)?;
        let event = if approve { "approved" } else { "rejected" };
        if !self
            .transition(&approval, ApprovalStatus::Pending, event, Some(actor))
            .await?
        {
            let status = self
                .store
                .approval(id)
                .await?
                .map_or(ApprovalStatus::Pending, |a| a.status);
            return Err(ApprovalError::NotPending(status).into());
        }
        info!(approval = %id, actor = %actor.name, "{} {event} the {} of {}.", actor.name, approval.action.as_str(), approval.subject);
        if !approve {
            return Ok(Decided {
                approval,
                outcome: None,
            });
        }
        let outcome = self.carry_out(&approval).await?;
        let approval = self.store.approval(id).await?.unwrap_or(approval);
        Ok(Decided { approval, outcome })
    }

    /// Carries out an approved request now.
    async fn carry_out(&self, approval: &Approval) -> Result<Option<Outcome>, ReconcileError> {
        let Some(kind) = run_kind_of(approval.action) else {
            // An unmanaged account: listed again at the next pass, and disabled then.
            if let Some((target, _)) = approval.subject.split_once('/')
                && let Ok(mut seen) = self.discovered.lock()
            {
                seen.remove(target);
            }
            return Ok(None);
        };
        let secret: SecretAddress = approval
            .subject
            .parse()
            .map_err(|_| ReconcileError::UnknownSecret(approval.subject.clone()))?;
        if approval.requested_by == TENURE {
            // Decided again now: the gate runs it, or finds it stale.
            let outcome = self.act_decided(&secret).await?;
            if let Some(mut left) = self.store.approval(&approval.id).await?
                && left.status == ApprovalStatus::Approved
                && !matches!(outcome, Outcome::Busy)
            {
                // The decision is no longer an action at all.
                info!(subject = %left.subject, approval = %left.id, "The decision approval request {} was asked for no longer stands: it is stale.", left.id);
                left.close(ApprovalStatus::Stale, Utc::now());
                self.transition(&left, ApprovalStatus::Approved, "stale", None)
                    .await?;
            }
            return Ok(Some(outcome));
        }
        let config = self.config();
        let record = match config.governance.index.find(&secret) {
            crate::governance::RecordMatch::One(i) => Some(&config.governance.records[i]),
            _ => None,
        };
        self.audit
            .append(Event::new(
                "decision",
                Some(&secret),
                None,
                json!({
                    "decision": kind.as_str(),
                    "reasons": [OPERATOR_REQUEST],
                    "record": record.map(|r| &r.id),
                    "actor": { "name": approval.requested_by },
                    "approval": { "id": approval.id, "approved_by": approval.decided_by },
                }),
            ))
            .await?;
        let outcome = self
            .engine
            .start(&secret, kind, vec![OPERATOR_REQUEST.to_owned()], record)
            .await?;
        crate::metrics::global().action(kind.as_str(), outcome.label());
        if !matches!(outcome, Outcome::Busy) {
            self.used(approval.clone()).await?;
        }
        Ok(Some(outcome))
    }
}

fn run_kind_of(action: ApprovalAction) -> Option<RunKind> {
    match action {
        ApprovalAction::Revoke => Some(RunKind::Revoke),
        ApprovalAction::Narrow => Some(RunKind::Narrow),
        ApprovalAction::DisableUnmanaged => None,
    }
}
