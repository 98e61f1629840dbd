//! What a pass leaves behind: decisions in the audit trail (only those that
//! changed), owners told (escalations, failures, verified revocations,
//! records that match no secret, upcoming expiries), metrics, and the
//! per-secret view the admin API serves.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

use super::{ActionResult, PassReport, ReconcileError, Reconciler};
use crate::audit::Event;
use crate::config::Config;
use crate::notify::{Notification, NotificationKind};
use crate::plan::{Plan, PlanEntry};
use crate::state::RunKind;
use crate::status::planned_secrets;
use crate::workflow::Outcome;

fn sentence(entry: &PlanEntry<'_>) -> String {
    let why = entry.reasons.join(", ");
    match entry.decision {
        "compliant" if why.is_empty() => format!("{} is compliant.", entry.secret),
        "compliant" => format!("{} is compliant ({why}).", entry.secret),
        "escalate" => format!("{} needs a person: {why}.", entry.secret),
        "rotate" => format!("{} must be rotated: {why}.", entry.secret),
        "narrow" => format!("{} must be narrowed: {why}.", entry.secret),
        "retire" => format!("{} must be retired again: {why}.", entry.secret),
        "revoke" => format!("{} must be revoked: {why}.", entry.secret),
        other => format!("{}: {other} ({why}).", entry.secret),
    }
}

/// What the state store remembers of a decision, to record only changes.
fn fingerprint(decision: &crate::policy::Decision) -> String {
    format!(
        "{}:{}",
        decision.kind.as_str(),
        decision.reasons.names().join(",")
    )
}

/// The notification key of a record that matches no secret.
fn dangling_key(record: &str) -> String {
    format!("dangling:{record}")
}

impl Reconciler {
    pub(super) fn notify(&self, config: &Config, mut notification: Notification) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        if notification.record.is_none()
            && let Ok(address) = notification.secret.parse::<SecretAddress>()
            && let crate::governance::RecordMatch::One(i) = config.governance.index.find(&address)
        {
            let record = &config.governance.records[i];
            notification.record = Some(record.id.clone());
            notification.owner = Some(record.owner.clone());
        }
        notifier.send(notification);
    }

    /// Tells owners about failed actions and verified revocations.
    pub(super) fn notify_outcome(
        &self,
        config: &Config,
        action: &ActionResult,
        reasons: Vec<String>,
    ) {
        let mut notification = match (&action.outcome, action.kind) {
            (
                Outcome::Failed { error }
                | Outcome::RolledBack { error }
                | Outcome::Unsupported { error },
                kind,
            ) => {
                let mut n =
                    Notification::new(NotificationKind::RotationFailed, action.secret.to_string());
                n.action = Some(kind.as_str().to_owned());
                n.detail = Some(error.clone());
                n
            }
            (Outcome::Succeeded, RunKind::Revoke) => {
                Notification::new(NotificationKind::Revocation, action.secret.to_string())
            }
            _ => return,
        };
        notification.reasons = reasons;
        self.notify(config, notification);
    }

    /// Counts the pass's actions and decisions, and tells owners how the
    /// actions ended; `reasons` holds each acted-on secret's.
    pub(super) fn count_and_tell(
        &self,
        config: &Config,
        report: &PassReport,
        reasons: &HashMap<SecretAddress, Vec<String>>,
    ) {
        let metrics = crate::metrics::global();
        for action in report.acted() {
            metrics.action(action.kind.as_str(), action.outcome.label());
            let why = reasons.get(&action.secret).cloned().unwrap_or_default();
            self.notify_outcome(config, action, why);
        }
        for (kind, count) in &report.by_kind {
            metrics
                .decisions
                .get_or_create(&crate::metrics::DecisionLabels {
                    decision: (*kind).to_owned(),
                })
                .inc_by(u64::try_from(*count).unwrap_or(u64::MAX));
        }
    }

    /// Tells owners once about each secret that expires within the window.
    pub(super) async fn notify_upcoming(&self, config: &Config) -> Result<(), ReconcileError> {
        let Some(window) = config.notify.as_ref().map(|n| n.upcoming_within) else {
            return Ok(());
        };
        if self.notifier.is_none() {
            return Ok(());
        }
        let horizon =
            Utc::now() + chrono::TimeDelta::from_std(window).unwrap_or(chrono::TimeDelta::MAX);
        let now = Utc::now();
        for secret in self.planned.load().iter() {
            let Some(expires) = secret.expires_at.filter(|at| *at > now && *at <= horizon) else {
                continue;
            };
            let key = format!("expiry:{}:{}", secret.secret, expires.timestamp());
            if self.first_time(&key).await? {
                let mut n =
                    Notification::new(NotificationKind::ExpiryUpcoming, secret.secret.clone());
                n.detail = Some(format!("at {}", crate::notify::stamp(expires)));
                n.reasons = secret.reasons.iter().map(|r| (*r).to_owned()).collect();
                self.notify(config, n);
            }
        }
        Ok(())
    }

    /// Whether the notification `key` is due for the first time (recorded
    /// in the store; known here already means no store round trip).
    pub(super) async fn first_time(&self, key: &str) -> Result<bool, ReconcileError> {
        if self.told.lock().is_ok_and(|told| told.contains(key)) {
            return Ok(false);
        }
        let first = self.store.mark_notified(key).await?;
        if let Ok(mut told) = self.told.lock() {
            told.insert(key.to_owned());
        }
        Ok(first)
    }

    /// Publishes the plan as the per-secret view (admin API, metrics).
    pub(super) fn publish(&self, config: &Config, plan: &Plan) {
        let planned = planned_secrets(config, plan);
        let metrics = crate::metrics::global();
        metrics.expiry.clear();
        metrics.last_attested.clear();
        for secret in &planned {
            let labels = crate::metrics::SecretLabels {
                secret: secret.secret.clone(),
            };
            for (gauge, at) in [
                (&metrics.expiry, secret.expires_at),
                (&metrics.last_attested, secret.last_attested),
            ] {
                if let Some(at) = at {
                    gauge.get_or_create(&labels).set(at.timestamp());
                }
            }
        }
        metrics.unmanaged.clear();
        for row in plan.unmanaged.iter().filter(|r| r.state == "found") {
            metrics
                .unmanaged
                .get_or_create(&crate::metrics::TargetLabels {
                    target: row.target.clone(),
                })
                .inc();
        }
        self.planned.store(std::sync::Arc::new(planned));
    }

    /// Logs and records (in one audit batch) every decision that changed
    /// since last recorded, and every record that matches no secret (once,
    /// until it matches one again), telling the owner.
    pub(super) async fn record_decisions(
        &self,
        config: &Config,
        plan: &Plan,
    ) -> Result<(), ReconcileError> {
        let states = self.store.secret_states().await?;
        let mut events = Vec::new();
        let mut changed = Vec::new();
        for planned in &plan.secrets {
            let address = plan.address(planned);
            let fingerprint = fingerprint(&planned.decision);
            let key = address.to_string();
            if states.get(&key).and_then(|s| s.last_decision.as_deref())
                == Some(fingerprint.as_str())
            {
                continue;
            }
            let entry = plan.entry(config, planned);
            if entry.notify {
                let mut n = Notification::new(NotificationKind::Escalation, entry.secret.clone());
                n.reasons = entry.reasons.iter().map(|r| (*r).to_owned()).collect();
                n.record = entry.record.map(str::to_owned);
                n.owner = entry.owner.map(str::to_owned);
                self.notify(config, n);
            }
            if entry.decision == "compliant" {
                info!(secret = %entry.secret, decision = entry.decision, "{}", sentence(&entry));
            } else {
                warn!(secret = %entry.secret, decision = entry.decision, reasons = %entry.reasons.join(","), "{}", sentence(&entry));
            }
            events.push(Event::new(
                "decision",
                Some(address),
                None,
                json!({
                    "decision": entry.decision,
                    "reasons": entry.reasons,
                    "waived": entry.waived,
                    "record": entry.record,
                    "next_due": entry.next_due,
                    "last_attested": entry.last_attested,
                    "lineage": entry.lineage,
                }),
            ));
            changed.push((address.clone(), key, fingerprint));
        }
        for &record in &plan.dangling {
            let entry = Plan::dangling_entry(config, record);
            let id = entry.record.unwrap_or_default();
            warn!(record = id, selector = %entry.secret, "Record {id} matches no secret.");
            if self.first_time(&dangling_key(id)).await? {
                events.push(Event::new(
                    "dangling_record",
                    None,
                    None,
                    json!({ "record": id, "selector": entry.secret, "owner": entry.owner }),
                ));
                let mut n = Notification::new(NotificationKind::Escalation, entry.secret.clone());
                n.reasons = vec!["dangling_record".to_owned()];
                n.record = Some(id.to_owned());
                n.owner = entry.owner.map(str::to_owned);
                self.notify(config, n);
            }
        }
        // A record that matches a secret again is told about anew if it
        // stops matching later.
        for (i, record) in config.governance.records.iter().enumerate() {
            if !plan.dangling.contains(&i)
                && self
                    .told
                    .lock()
                    .is_ok_and(|mut told| told.remove(&dangling_key(&record.id)))
            {
                self.store
                    .forget_notified(&dangling_key(&record.id))
                    .await?;
            }
        }
        if !events.is_empty() {
            self.audit.append_all(events).await?;
        }
        for (address, key, fingerprint) in changed {
            let mut state = states.get(&key).cloned().unwrap_or_default();
            state.last_decision = Some(fingerprint);
            self.store.put_secret_state(&address, &state).await?;
        }
        Ok(())
    }
}
