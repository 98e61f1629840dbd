//! Carrying decisions out: each action is queued (urgent ones due now, the
//! rest at their window and jitter), then the due ones run through the
//! workflow engine, each under the secret's lease, after deciding again
//! from fresh vault metadata so two replicas never act twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{debug, info, warn};

use super::approve::{Gate, OPERATOR_REQUEST};
use super::{ReconcileError, Reconciler, cannot_act, run_kind, urgent};
use crate::audit::Event;
use crate::config::Config;
use crate::governance::Attested;
use crate::plan::{Plan, Planned};
use crate::policy::DecisionKind;
use crate::state::RunKind;
use crate::workflow::Outcome;

/// What one action did.
#[derive(Debug, Clone)]
pub struct ActionResult {
    /// The secret.
    pub secret: SecretAddress,
    /// The action.
    pub kind: RunKind,
    /// How it ended.
    pub outcome: Outcome,
}

/// Which decisions a round of acting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Only those that cannot wait; the queue's other items are left alone.
    Urgent,
    /// Every decided action; queued items decided otherwise since are dropped.
    All,
}

/// A queued action and what it was decided from.
#[derive(Clone, Copy)]
struct Job {
    planned: Planned,
    attested: Option<Attested>,
}

impl Reconciler {
    /// Queues the actions of `plan` that `scope` takes and runs those due;
    /// returns each acted-on secret's reasons.
    pub(super) async fn act_on(
        &self,
        config: &Config,
        plan: &Plan,
        scope: Scope,
        report: &mut super::PassReport,
    ) -> Result<HashMap<SecretAddress, Vec<String>>, ReconcileError> {
        let now = Utc::now();
        let mut work: HashMap<&SecretAddress, Job> = HashMap::new();
        for planned in &plan.secrets {
            let decision = planned.decision;
            let address = plan.address(planned);
            if !decision.kind.is_action() {
                if scope == Scope::All
                    && let Some(due) = decision.next_due
                {
                    report.next_due = Some(report.next_due.map_or(due, |d| d.min(due)));
                }
                continue;
            }
            let urgent = urgent(&decision);
            if (scope == Scope::Urgent && !urgent)
                || report.actions.iter().any(|a| &a.secret == address)
            {
                continue; // Later, or acted on already this pass.
            }
            let reasons = decision.reasons.names().join(",");
            // Urgent actions go now; rotations and narrowings wait for their
            // window, spread by their jitter.
            let due = config.schedule.due_at(address, urgent, now);
            if due > now {
                info!(secret = %address, due = %due, "{address}: the {} waits for its window until {due}.", decision.kind);
            }
            self.store.enqueue(address, due, &reasons).await?;
            let attested = plan.facts[planned.facts].attested;
            work.insert(
                address,
                Job {
                    planned: *planned,
                    attested,
                },
            );
        }

        let queued = self.store.due(DateTime::<Utc>::MAX_UTC, u32::MAX).await?;
        let now = Utc::now();
        let mut jobs: Vec<(SecretAddress, Job)> = Vec::new();
        for item in queued {
            match work.get(&item.secret) {
                // Decided otherwise since it was queued (rotated by hand, say).
                None if scope == Scope::All => self.store.dequeue(&item.secret).await?,
                None => {}
                Some(job) if item.due <= now => jobs.push((item.secret, *job)),
                Some(_) => {
                    report.next_due = Some(report.next_due.map_or(item.due, |d| d.min(item.due)));
                }
            }
        }
        let reasons: HashMap<SecretAddress, Vec<String>> = jobs
            .iter()
            .map(|(secret, job)| {
                let names = job.planned.decision.reasons.names();
                (
                    secret.clone(),
                    names.into_iter().map(str::to_owned).collect(),
                )
            })
            .collect();
        let results: Vec<Result<Option<ActionResult>, ReconcileError>> =
            futures_util::stream::iter(jobs)
                .map(|(secret, job)| self.act(config, secret, job))
                .buffer_unordered(config.concurrency)
                .collect()
                .await;
        for result in results {
            if let Some(action) = result? {
                report.actions.push(action);
            }
        }
        Ok(reasons)
    }

    async fn act(
        &self,
        config: &Config,
        secret: SecretAddress,
        job: Job,
    ) -> Result<Option<ActionResult>, ReconcileError> {
        self.store.dequeue(&secret).await?;
        let planned = job.planned;
        let Some(kind) = run_kind(planned.decision.kind) else {
            return Ok(None);
        };
        let _permit = self.limits.acquire(secret.provider()).await;
        let record = planned.record.map(|i| &config.governance.records[i]);
        if let Some(record) = record {
            let capable = self
                .plugins
                .target(&record.target)
                .map(|t| t.capabilities());
            let supported = capable.is_some_and(|c| match kind {
                RunKind::Rotate => c.rotate,
                RunKind::Narrow => c.narrow,
                RunKind::Revoke => c.revoke,
                RunKind::Retire => true,
            });
            if !supported {
                warn!(secret = %secret, target = %record.target, "{secret} needs a person: target {} cannot {kind}.", record.target);
                self.audit
                    .append(Event::new(
                        "escalation",
                        Some(&secret),
                        None,
                        json!({ "reason": "target_cannot_act", "action": kind.as_str(), "target": record.target }),
                    ))
                    .await?;
                return Ok(Some(ActionResult {
                    secret,
                    kind,
                    outcome: cannot_act(format!("target {} cannot {kind}", record.target)),
                }));
            }
        }
        let reasons: Vec<String> = planned
            .decision
            .reasons
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut approved = None;
        if let Some(gate) = self
            .gate_action(config, &secret, kind, &planned, reasons.clone(), None)
            .await?
        {
            match gate {
                Gate::Run(approval) => approved = Some(approval),
                Gate::Wait(approval) => {
                    return Ok(Some(ActionResult {
                        secret,
                        kind,
                        outcome: Outcome::PendingApproval { approval },
                    }));
                }
                Gate::Held(approval) => {
                    debug!(secret = %secret, approval = %approval, "{secret}: the {kind} was rejected lately (request {approval}); it waits.");
                    return Ok(None);
                }
            }
        }
        let check = Box::pin(self.still_needed(config, &secret, kind, job.attested));
        let outcome = self
            .engine
            .start_checked(&secret, kind, reasons, record, Some(check))
            .await?;
        if let Some(approval) = approved
            && !matches!(outcome, Outcome::Busy)
        {
            self.used(approval).await?;
        }
        Ok(Some(ActionResult {
            secret,
            kind,
            outcome,
        }))
    }

    /// Decides `secret` again now and carries out what is decided (through
    /// the approval gate, like a pass): an approved request runs here.
    pub(super) async fn act_decided(
        &self,
        secret: &SecretAddress,
    ) -> Result<Outcome, ReconcileError> {
        let (config, plan, index) = self.plan_one(secret).await?;
        let planned = plan.secrets[index];
        let job = Job {
            planned,
            attested: plan.facts[planned.facts].attested,
        };
        Ok(self
            .act(&config, secret.clone(), job)
            .await?
            .map_or(Outcome::NotNeeded, |action| action.outcome))
    }

    /// The configuration and a fresh plan, and where `secret` is in it;
    /// refused while its provider cannot be read.
    async fn plan_one(
        &self,
        secret: &SecretAddress,
    ) -> Result<(std::sync::Arc<Config>, Plan, usize), ReconcileError> {
        let config = self.config();
        let inventory = self.inventory(&config).await?;
        if let Some(outage) = inventory
            .outages
            .iter()
            .find(|o| o.provider == secret.provider())
        {
            return Err(ReconcileError::ProviderUnavailable {
                provider: outage.provider.clone(),
                error: outage.error.to_string(),
            });
        }
        let plan = self.plan_inventory(&config, &inventory, Utc::now()).await?;
        let index = plan
            .secrets
            .iter()
            .position(|p| plan.address(p) == secret)
            .ok_or_else(|| ReconcileError::UnknownSecret(secret.to_string()))?;
        Ok((config, plan, index))
    }

    /// Decides `secret` again from fresh vault metadata (and the attestation
    /// the decision was made from), under its lease: an action another
    /// replica (or an operator) already took is not taken again.
    async fn still_needed(
        &self,
        config: &Config,
        secret: &SecretAddress,
        kind: RunKind,
        attested: Option<Attested>,
    ) -> bool {
        let Some(provider) = self.plugins.provider(secret.provider()) else {
            return true;
        };
        let meta = match provider.describe(secret.path()).await {
            Ok(meta) => meta,
            Err(err) if err.kind() == tenure_plugin_api::ErrorKind::NotFound => return false,
            // Let the workflow meet the error and retry it.
            Err(_) => return true,
        };
        let Some(mut facts) = crate::plan::facts_from(secret.provider(), &meta) else {
            return true;
        };
        facts.attested = attested;
        match kind {
            // Disabled already, unless attestation found it alive again.
            RunKind::Revoke => facts.enabled || attested.is_some_and(|a| a.revocation_undone),
            // Privileges are not in the metadata; narrowing or retiring
            // twice is harmless.
            RunKind::Narrow | RunKind::Retire => true,
            RunKind::Rotate => {
                facts.exposed_at = self.exposures.load().get(&secret.to_string()).copied();
                facts.quarantined = self
                    .store
                    .secret_state(secret)
                    .await
                    .is_ok_and(|s| s.quarantined);
                let (decision, _) = crate::plan::decide_facts(config, &facts, Utc::now());
                decision.kind == DecisionKind::Rotate
            }
        }
    }

    /// Acts on one secret now, whatever the plan says (operator request);
    /// the decision's audit entry names `actor`.
    pub async fn act_now(
        &self,
        secret: &SecretAddress,
        kind: RunKind,
        actor: &crate::server::auth::Actor,
    ) -> Result<Outcome, ReconcileError> {
        let (config, plan, index) = self.plan_one(secret).await?;
        let planned = &plan.secrets[index];
        let record = planned.record.map(|i| &config.governance.records[i]);
        let mut approved = None;
        let reasons = vec![OPERATOR_REQUEST.to_owned()];
        if let Some(gate) = self
            .gate_action(&config, secret, kind, planned, reasons, Some(actor))
            .await?
        {
            match gate {
                Gate::Run(approval) => approved = Some(approval),
                Gate::Wait(approval) | Gate::Held(approval) => {
                    return Ok(Outcome::PendingApproval { approval });
                }
            }
        }
        if self.engine.release(secret).await? {
            info!(secret = %secret, "Released {secret} from quarantine at the operator's request.");
        }
        self.audit
            .append(Event::new(
                "decision",
                Some(secret),
                None,
                json!({ "decision": kind.as_str(), "reasons": [OPERATOR_REQUEST], "record": record.map(|r| &r.id), "actor": actor.audit() }),
            ))
            .await?;
        info!(secret = %secret, actor = %actor.name, "Decided to {kind} {secret}: operator request by {}.", actor.name);
        let outcome = self
            .engine
            .start(secret, kind, vec![OPERATOR_REQUEST.to_owned()], record)
            .await?;
        if let Some(approval) = approved
            && !matches!(outcome, Outcome::Busy)
        {
            self.used(approval).await?;
        }
        crate::metrics::global().action(kind.as_str(), outcome.label());
        let action = ActionResult {
            secret: secret.clone(),
            kind,
            outcome,
        };
        self.notify_outcome(&config, &action, vec![OPERATOR_REQUEST.to_owned()]);
        Ok(action.outcome)
    }
}
