//! What the admin API and the metrics report about each secret: the last
//! pass's plan (decision, reasons, due time, expiry), joined at request time
//! with the live state store (running, revoked, quarantined).

use std::collections::HashMap;
use tenure_plugin_api::stamp;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::approvals::{Approval, ApprovalStatus};
use crate::config::Config;
use crate::plan::Plan;
use crate::state::{RunKind, RunStatus, SecretState, StateError, StateStore};

/// One secret as the last pass saw it.
#[derive(Debug, Clone)]
pub struct PlannedSecret {
    /// The address.
    pub secret: String,
    /// compliant, rotate, narrow, revoke or escalate.
    pub decision: &'static str,
    /// Why.
    pub reasons: Vec<&'static str>,
    /// When the decision may change next.
    pub next_due: Option<DateTime<Utc>>,
    /// When the credential expires: the earliest of its age limit, the
    /// vault's expiry and the approval's end.
    pub expires_at: Option<DateTime<Utc>>,
    /// The governing record.
    pub record: Option<String>,
    /// The record's owner.
    pub owner: Option<String>,
    /// Whether the vault still serves it.
    pub enabled: bool,
    /// When it was last attested.
    pub last_attested: Option<DateTime<Utc>>,
    /// The latest attestation's result.
    pub attestation: Option<&'static str>,
}

/// Builds the per-secret view of a plan.
pub fn planned_secrets(config: &Config, plan: &Plan) -> Vec<PlannedSecret> {
    plan.secrets
        .iter()
        .map(|planned| {
            let facts = &plan.facts[planned.facts];
            let record = planned.record.map(|i| &config.governance.records[i]);
            let aged = record
                .and_then(|r| r.max_age)
                .zip(facts.current_created_at)
                .map(|(age, created)| created + age);
            // A disabled (revoked) secret no longer expires.
            let expires_at = [aged, facts.expires_at, record.and_then(|r| r.expires)]
                .into_iter()
                .flatten()
                .min()
                .filter(|_| facts.enabled);
            PlannedSecret {
                secret: facts.address.to_string(),
                decision: planned.decision.kind.as_str(),
                reasons: planned.decision.reasons.names(),
                next_due: planned.decision.next_due,
                expires_at,
                record: record.map(|r| r.id.clone()),
                owner: record.map(|r| r.owner.clone()),
                enabled: facts.enabled,
                last_attested: facts.attested.map(|a| a.at),
                attestation: plan.entry(config, planned).attestation,
            }
        })
        .collect()
}

/// One row of `GET /v1/secrets`.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStatus {
    /// The address.
    pub secret: String,
    /// active, rotating, pending_approval, revoked or quarantined.
    pub status: &'static str,
    /// The last decision.
    pub decision: &'static str,
    /// Why.
    pub reasons: Vec<&'static str>,
    /// When something is due next (RFC 3339).
    pub next_due: Option<String>,
    /// When it was last rotated (RFC 3339).
    pub last_rotated: Option<String>,
    /// When it expires (RFC 3339).
    pub expires_at: Option<String>,
    /// The governing record.
    pub record: Option<String>,
    /// The record's owner.
    pub owner: Option<String>,
    /// When it was last attested (RFC 3339).
    pub last_attested: Option<String>,
    /// The latest attestation's result: ok, drift or unavailable.
    pub attestation: Option<&'static str>,
    /// The open approval request of its decided action, if one waits
    /// (`/v1/approvals/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
}

fn status_of(
    planned: &PlannedSecret,
    state: Option<&SecretState>,
    running: Option<RunKind>,
    waiting: bool,
) -> &'static str {
    if state.is_some_and(|s| s.quarantined) {
        "quarantined"
    } else if !planned.enabled || state.is_some_and(|s| s.revoked_at.is_some()) {
        "revoked"
    } else if running.is_some() {
        "rotating"
    } else if waiting {
        "pending_approval"
    } else {
        "active"
    }
}

/// The open approval request of each subject: pending, or approved and
/// not yet carried out.
pub async fn open_approvals(
    store: &dyn StateStore,
) -> Result<HashMap<String, Approval>, StateError> {
    Ok(store
        .open_approvals()
        .await?
        .into_iter()
        .map(|a| (a.subject.clone(), a))
        .collect())
}

/// The status of every secret of the last pass, with live state.
pub async fn secret_statuses(
    planned: &[PlannedSecret],
    store: &dyn StateStore,
) -> Result<Vec<SecretStatus>, StateError> {
    let states = store.secret_states().await?;
    let running: HashMap<String, RunKind> = store
        .active_runs()
        .await?
        .into_iter()
        .filter(|run| run.status == RunStatus::Active && run.phase != crate::state::Phase::Retire)
        .map(|run| (run.secret.to_string(), run.kind))
        .collect();
    let approvals = open_approvals(store).await?;
    Ok(planned
        .iter()
        .map(|p| {
            let state = states.get(&p.secret);
            let approval = approvals.get(&p.secret);
            let waiting = approval.is_some_and(|a| a.status == ApprovalStatus::Pending);
            SecretStatus {
                secret: p.secret.clone(),
                status: status_of(p, state, running.get(&p.secret).copied(), waiting),
                decision: p.decision,
                reasons: p.reasons.clone(),
                next_due: p.next_due.map(stamp),
                last_rotated: state.and_then(|s| s.last_rotated_at).map(stamp),
                expires_at: p.expires_at.map(stamp),
                record: p.record.clone(),
                owner: p.owner.clone(),
                last_attested: p.last_attested.map(stamp),
                attestation: p.attestation,
                approval: approval.map(|a| a.id.clone()),
            }
        })
        .collect())
}
