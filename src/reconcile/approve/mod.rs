//! The four-eyes gate (`[approvals]`): a destructive action that needs a
//! second person waits as a pending request; it runs only once an approver
//! other than the requester approved it, and only while the decision it was
//! asked for still stands. Every request, approval, rejection, expiry, use
//! and stale request is an `approval` entry in the audit trail with its actor.
//!
//! ```text
//! mod      the gate before acting: run (approved), wait (pending, asked now if new) or hold
//!          (rejected lately); each pass's sweep: expire what nobody decided, make stale what
//!          was asked for a decision that no longer stands
//! decide   an approver approves or rejects (API, `tenure approve`); an approval is carried out at once
//! ```

mod decide;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

use super::{ReconcileError, Reconciler};
use crate::approvals::{Admission, Approval, ApprovalAction, ApprovalStatus};
use crate::audit::Event;
use crate::config::Config;
use crate::notify::{Notification, NotificationKind};
use crate::plan::{Plan, Planned};
use crate::server::auth::Actor;
use crate::state::RunKind;

pub use decide::{DecideError, Decided};

/// Who asks for the approval of a decision Tenure made itself.
pub const TENURE: &str = "tenure";

/// The reason an operator's own request carries.
pub const OPERATOR_REQUEST: &str = "operator_request";

/// One action about to be taken, as the gate sees it.
pub(super) struct Request<'a> {
    /// A secret's address, or `<target>/<login>` for an unmanaged account.
    pub subject: String,
    /// The action.
    pub action: ApprovalAction,
    /// The decision's reasons.
    pub reasons: Vec<String>,
    /// The operator who asks; `None`: Tenure asks for its own decision.
    pub actor: Option<&'a Actor>,
}

impl Request<'_> {
    /// Who asks: an operator's name, or [`TENURE`].
    pub fn requested_by(&self) -> &str {
        self.actor.map_or(TENURE, |a| a.name.as_str())
    }

    /// The decision it is asked for: the action and its reasons.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.action, &self.reasons)
    }
}

/// The action and reasons an approval is bound to.
pub fn fingerprint(action: ApprovalAction, reasons: &[String]) -> String {
    format!("{}:{}", action.as_str(), reasons.join(","))
}

/// What the gate says.
#[derive(Debug)]
pub(super) enum Gate {
    /// Act: approved for this decision (mark it used after acting).
    Run(Approval),
    /// Wait for the request with this id.
    Wait(String),
    /// An approver rejected this very decision lately (within `ttl`): do
    /// nothing; it is asked again once that has passed.
    Held(String),
}

/// The audit entry of one transition.
fn entry(approval: &Approval, event: &str, actor: Option<serde_json::Value>) -> Event {
    let secret = approval.subject.parse::<SecretAddress>().ok();
    Event::new(
        "approval",
        secret
            .as_ref()
            .filter(|_| approval.action != ApprovalAction::DisableUnmanaged),
        None,
        json!({
            "event": event,
            "id": approval.id,
            "subject": approval.subject,
            "action": approval.action.as_str(),
            "reasons": approval.reasons,
            "requested_by": approval.requested_by,
            "expires_at": tenure_plugin_api::stamp(approval.expires_at),
            "status": approval.status.as_str(),
            "decided_by": approval.decided_by,
            "actor": actor,
        }),
    )
}

impl Reconciler {
    /// Whether `request` may run now; asks for approval when nothing open
    /// covers it.
    pub(super) async fn gate(
        &self,
        config: &Config,
        request: Request<'_>,
    ) -> Result<Gate, ReconcileError> {
        let now = Utc::now();
        let fingerprint = request.fingerprint();
        let approvals = self.store.approvals().await?;
        let same = |a: &&Approval| a.subject == request.subject && a.action == request.action;
        if let Some(open) = approvals.iter().filter(same).find(|a| a.status.is_open()) {
            let mut approval = open.clone();
            let operator = request.actor.is_some();
            match approval.admission(&fingerprint, now) {
                Admission::Wait => return Ok(Gate::Wait(approval.id)),
                Admission::Run => return Ok(Gate::Run(approval)),
                // An operator asking for the action an approval already covers.
                Admission::Stale if operator && approval.status == ApprovalStatus::Approved => {
                    return Ok(Gate::Run(approval));
                }
                Admission::Stale => {
                    approval.close(ApprovalStatus::Stale, now);
                    self.transition(&approval, ApprovalStatus::Approved, "stale", None)
                        .await?;
                }
                Admission::Closed => {
                    if approval.expire(now) {
                        self.transition(&approval, ApprovalStatus::Pending, "expired", None)
                            .await?;
                    }
                }
            }
        }
        let ttl = TimeDelta::from_std(config.approvals.ttl).unwrap_or(TimeDelta::MAX);
        // An operator may ask again after a rejection; Tenure waits `ttl`.
        if request.actor.is_none()
            && let Some(rejected) = approvals.iter().filter(same).find(|a| {
                a.status == ApprovalStatus::Rejected
                    && a.fingerprint == fingerprint
                    && a.decided_at.is_some_and(|at| now < at + ttl)
            })
        {
            return Ok(Gate::Held(rejected.id.clone()));
        }
        let approval = Approval {
            id: uuid::Uuid::new_v4().to_string(),
            subject: request.subject.clone(),
            action: request.action,
            fingerprint,
            reasons: request.reasons.clone(),
            requested_by: request.requested_by().to_owned(),
            requested_at: now,
            expires_at: now + ttl,
            status: ApprovalStatus::Pending,
            decided_by: None,
            decided_at: None,
        };
        if !self.store.insert_approval(&approval).await? {
            // Another replica asked first: wait for its request.
            let open = self
                .store
                .open_approvals()
                .await?
                .into_iter()
                .find(|a| a.subject == request.subject && a.action == request.action);
            return Ok(Gate::Wait(open.map_or(approval.id, |a| a.id)));
        }
        self.audit
            .append(entry(
                &approval,
                "requested",
                request.actor.map(Actor::audit),
            ))
            .await?;
        info!(subject = %approval.subject, approval = %approval.id, action = approval.action.as_str(), "The {} of {} waits for an approver: request {}.", approval.action.as_str(), approval.subject, approval.id);
        let mut n = Notification::new(
            NotificationKind::ApprovalRequested,
            approval.subject.clone(),
        );
        n.action = Some(approval.action.as_str().to_owned());
        n.reasons = approval.reasons.clone();
        n.detail = Some(format!(
            "asked by {}, until {}",
            approval.requested_by,
            tenure_plugin_api::stamp(approval.expires_at)
        ));
        n.link = Some(config.approvals.link(&approval.id));
        self.notify(config, n);
        Ok(Gate::Wait(approval.id))
    }

    /// The gate in front of `kind` on `secret` as `planned` decided it
    /// (whose reasons may bypass approval), asked for `reasons` by `actor`
    /// (`None`: Tenure); `None` when the action needs no approval.
    pub(super) async fn gate_action(
        &self,
        config: &Config,
        secret: &SecretAddress,
        kind: RunKind,
        planned: &Planned,
        reasons: Vec<String>,
        actor: Option<&Actor>,
    ) -> Result<Option<Gate>, ReconcileError> {
        let record = planned.record.map(|i| &config.governance.records[i]);
        let Some(action) = approval_action(kind).filter(|action| {
            config.approvals.needs(
                *action,
                &planned.decision.reasons,
                record.and_then(|r| r.require_approval.as_ref()),
            )
        }) else {
            return Ok(None);
        };
        let request = Request {
            subject: secret.to_string(),
            action,
            reasons,
            actor,
        };
        self.gate(config, request).await.map(Some)
    }

    /// Stores `approval`'s new status if it still was `was`, and records
    /// the transition; `false` when another writer changed it first.
    async fn transition(
        &self,
        approval: &Approval,
        was: ApprovalStatus,
        event: &str,
        actor: Option<&Actor>,
    ) -> Result<bool, ReconcileError> {
        if !self.store.update_approval(approval, was).await? {
            return Ok(false);
        }
        self.audit
            .append(entry(approval, event, actor.map(Actor::audit)))
            .await?;
        Ok(true)
    }

    /// Marks an approval used once its action ran.
    pub(super) async fn used(&self, mut approval: Approval) -> Result<(), ReconcileError> {
        approval.close(ApprovalStatus::Used, Utc::now());
        self.transition(&approval, ApprovalStatus::Approved, "used", None)
            .await?;
        Ok(())
    }

    /// Expires the requests nobody decided in time, and makes stale those
    /// asked for a decision `plan` no longer makes.
    pub(super) async fn sweep_approvals(
        &self,
        config: &Config,
        plan: &Plan,
    ) -> Result<(), ReconcileError> {
        let now = Utc::now();
        for approval in self.store.open_approvals().await? {
            let was = approval.status;
            let mut approval = approval;
            if approval.expire(now) {
                warn!(subject = %approval.subject, approval = %approval.id, "Nobody decided approval request {} in time: it expired.", approval.id);
                if self.transition(&approval, was, "expired", None).await? {
                    let mut n =
                        Notification::new(NotificationKind::Escalation, approval.subject.clone());
                    n.action = Some(approval.action.as_str().to_owned());
                    n.reasons = approval.reasons.clone();
                    n.detail = Some(format!("approval request {} expired", approval.id));
                    self.notify(config, n);
                }
                continue;
            }
            if approval.requested_by != TENURE {
                continue;
            }
            let Some(planned) = plan
                .secrets
                .iter()
                .find(|p| plan.address(p).to_string() == approval.subject)
            else {
                continue;
            };
            let reasons = planned.decision.reasons.names();
            let now_decided = super::run_kind(planned.decision.kind)
                .and_then(approval_action)
                .map(|action| {
                    let reasons: Vec<String> = reasons.iter().map(|r| (*r).to_owned()).collect();
                    fingerprint(action, &reasons)
                });
            if now_decided.as_deref() != Some(approval.fingerprint.as_str()) {
                info!(subject = %approval.subject, approval = %approval.id, "The decision approval request {} was asked for no longer stands: it is stale.", approval.id);
                approval.close(ApprovalStatus::Stale, now);
                self.transition(&approval, was, "stale", None).await?;
            }
        }
        Ok(())
    }
}

/// The approval action of a run, if that kind can need one.
pub(super) fn approval_action(kind: RunKind) -> Option<ApprovalAction> {
    match kind {
        RunKind::Revoke => Some(ApprovalAction::Revoke),
        RunKind::Narrow => Some(ApprovalAction::Narrow),
        RunKind::Rotate | RunKind::Retire => None,
    }
}
