//! One reconcile pass: resume unfinished runs, plan, record decisions, act.
//!
//! Triggers (the pass itself, later cron and events) only enqueue secrets;
//! the pass drains the queue through the workflow engine, at most
//! `tenure.concurrency` secrets at a time.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

use crate::audit::{AuditError, AuditLog, Event};
use crate::config::{Config, SharedConfig};
use crate::events::{Exposures, overlay};
use crate::notify::{Notification, NotificationKind, Notifier};
use crate::plan::{Plan, PlanEntry, PlanError, Planned, gather, plan_facts};
use crate::plugins::Plugins;
use crate::policy::DecisionKind;
use crate::state::{RunKind, StateError, StateStore};
use crate::status::{PlannedSecret, planned_secrets};
use crate::workflow::{Engine, EngineError, Outcome};

/// Why a pass could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The state store failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The audit trail could not be written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The address is not in any provider's inventory.
    #[error("{0} is not in the inventory of its provider")]
    UnknownSecret(String),
}

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
}

impl PassReport {
    /// Whether every action reached its goal (a busy secret counts as not yet).
    pub fn all_succeeded(&self) -> bool {
        self.actions.iter().all(|a| a.outcome.is_success())
    }
}

/// Plans and acts for one configuration.
pub struct Reconciler {
    /// The configuration as read from the files.
    files: arc_swap::ArcSwap<Config>,
    /// The files with the stored signals layered over them (what decisions use).
    config: SharedConfig,
    /// Exposed secrets, from the signals.
    exposures: arc_swap::ArcSwap<Exposures>,
    /// Every secret as the last pass left it.
    planned: arc_swap::ArcSwap<Vec<PlannedSecret>>,
    /// Passes completed.
    passes: std::sync::atomic::AtomicU64,
    /// Per-provider action budgets.
    limits: crate::scheduler::ProviderLimits,
    /// Owner notifications, when configured.
    notifier: Option<Notifier>,
    /// Expiry notifications this process knows were sent (the store is the record).
    told: std::sync::Mutex<std::collections::HashSet<String>>,
    plugins: Plugins,
    store: Arc<dyn StateStore>,
    audit: AuditLog,
    engine: Engine,
}

fn run_kind(kind: DecisionKind) -> Option<RunKind> {
    match kind {
        DecisionKind::Rotate => Some(RunKind::Rotate),
        DecisionKind::Narrow => Some(RunKind::Narrow),
        DecisionKind::Revoke => Some(RunKind::Revoke),
        DecisionKind::Compliant | DecisionKind::Escalate => None,
    }
}

fn sentence(entry: &PlanEntry<'_>) -> String {
    let why = entry.reasons.join(", ");
    match entry.decision {
        "compliant" if why.is_empty() => format!("{} is compliant.", entry.secret),
        "compliant" => format!("{} is compliant ({why}).", entry.secret),
        "escalate" => format!("{} needs a person: {why}.", entry.secret),
        "rotate" => format!("{} must be rotated: {why}.", entry.secret),
        "narrow" => format!("{} must be narrowed: {why}.", entry.secret),
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

impl Reconciler {
    /// A reconciler over running plugins and an open store.
    pub fn new(
        config: Arc<Config>,
        plugins: Plugins,
        store: Arc<dyn StateStore>,
        audit: AuditLog,
    ) -> Self {
        let holder = crate::workflow::new_holder();
        let shared = SharedConfig::from(Arc::clone(&config));
        let limits = crate::scheduler::ProviderLimits::new(&config.budgets);
        let engine = Engine::new(
            shared.clone(),
            plugins.clone(),
            Arc::clone(&store),
            audit.clone(),
            holder,
        );
        Self {
            files: arc_swap::ArcSwap::new(config),
            config: shared,
            exposures: arc_swap::ArcSwap::from_pointee(Exposures::new()),
            planned: arc_swap::ArcSwap::from_pointee(Vec::new()),
            passes: std::sync::atomic::AtomicU64::new(0),
            limits,
            notifier: None,
            told: std::sync::Mutex::default(),
            plugins,
            store,
            audit,
            engine,
        }
    }

    /// Sends owner notifications through `notifier`.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    fn notify(&self, config: &Config, mut notification: Notification) {
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
    fn notify_outcome(&self, config: &Config, action: &ActionResult, reasons: Vec<String>) {
        let mut notification = match (&action.outcome, action.kind) {
            (Outcome::Failed { error } | Outcome::RolledBack { error }, kind) => {
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

    /// Tells owners once about each secret that expires within the window.
    async fn notify_upcoming(&self, config: &Config) -> Result<(), ReconcileError> {
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
            // Known here already: no store round trip on every pass.
            if self.told.lock().is_ok_and(|told| told.contains(&key)) {
                continue;
            }
            let first = self.store.mark_notified(&key).await?;
            if let Ok(mut told) = self.told.lock() {
                told.insert(key);
            }
            if first {
                let mut n =
                    Notification::new(NotificationKind::ExpiryUpcoming, secret.secret.clone());
                n.detail = Some(format!("at {}", crate::notify::stamp(expires)));
                n.reasons = secret.reasons.iter().map(|r| (*r).to_owned()).collect();
                self.notify(config, n);
            }
        }
        Ok(())
    }

    /// The configuration in effect: the files with the stored signals over them.
    pub fn config(&self) -> Arc<Config> {
        self.config.current()
    }

    /// Every secret as the last pass left it.
    pub fn planned(&self) -> Arc<Vec<PlannedSecret>> {
        self.planned.load_full()
    }

    /// How many passes have completed.
    pub fn passes(&self) -> u64 {
        self.passes.load(std::sync::atomic::Ordering::Acquire)
    }

    fn publish(&self, config: &Config, plan: &Plan) {
        let planned = planned_secrets(config, plan);
        let expiry = &crate::metrics::global().expiry;
        expiry.clear();
        for secret in &planned {
            if let Some(at) = secret.expires_at {
                expiry
                    .get_or_create(&crate::metrics::SecretLabels {
                        secret: secret.secret.clone(),
                    })
                    .set(at.timestamp());
            }
        }
        self.planned.store(Arc::new(planned));
    }

    /// The running plugins.
    pub fn plugins(&self) -> &Plugins {
        &self.plugins
    }

    /// The state store.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The audit trail.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Layers the stored signals over the files again (after events were applied).
    pub async fn refresh_signals(&self) -> Result<(), ReconcileError> {
        let signals = self.store.signals().await?;
        let mut config = Config::clone(&self.files.load());
        let exposures = overlay(&mut config, &signals);
        self.config.replace(config);
        self.exposures.store(Arc::new(exposures));
        Ok(())
    }

    /// Replaces the governance read from the files (records, owners,
    /// workloads; other sections need a restart), then layers the signals again.
    pub async fn reload_governance(&self, fresh: Config) -> Result<(), ReconcileError> {
        let mut files = Config::clone(&self.files.load());
        files.governance = fresh.governance;
        files.files = fresh.files;
        self.files.store(Arc::new(files));
        self.refresh_signals().await
    }

    /// The engine (for one-off actions).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A dry run: every secret with its decision, and dangling records. Changes nothing.
    pub async fn plan(&self, now: DateTime<Utc>) -> Result<Plan, ReconcileError> {
        self.plan_with(&self.config(), now).await
    }

    async fn plan_with(&self, config: &Config, now: DateTime<Utc>) -> Result<Plan, ReconcileError> {
        let states = self.store.secret_states().await?;
        let facts = gather(config, &self.plugins, &states).await?;
        Ok(self.plan_facts_now(config, facts, now))
    }

    /// `plan`'s facts with `changed` described again, decided at `now`.
    async fn replan(
        &self,
        config: &Config,
        plan: &Plan,
        changed: &[SecretAddress],
        now: DateTime<Utc>,
    ) -> Result<Plan, ReconcileError> {
        let mut states = HashMap::new();
        for address in changed {
            states.insert(address.to_string(), self.store.secret_state(address).await?);
        }
        let mut facts = plan.facts.clone();
        crate::plan::refresh(config, &self.plugins, &states, &mut facts, changed).await?;
        Ok(self.plan_facts_now(config, facts, now))
    }

    fn plan_facts_now(
        &self,
        config: &Config,
        mut facts: Vec<crate::governance::SecretFacts>,
        now: DateTime<Utc>,
    ) -> Plan {
        let exposures = self.exposures.load();
        if !exposures.is_empty() {
            for f in &mut facts {
                f.exposed_at = exposures.get(&f.address.to_string()).copied();
            }
        }
        plan_facts(config, facts, now)
    }

    /// One full pass.
    pub async fn pass(&self) -> Result<PassReport, ReconcileError> {
        let mut report = PassReport::default();
        for (run, outcome) in self.engine.resume_due().await? {
            info!(secret = %run.secret, run = %run.id, "Resumed an unfinished {} run.", run.kind);
            report.actions.push(ActionResult {
                secret: run.secret,
                kind: run.kind,
                outcome,
            });
        }

        let now = Utc::now();
        let config = self.config();
        let plan = self.plan_with(&config, now).await?;
        self.record_decisions(&config, &plan).await?;
        report.decided = plan.secrets.len() + plan.dangling.len();
        *report
            .by_kind
            .entry(DecisionKind::Escalate.as_str())
            .or_default() += plan.dangling.len();
        let mut work: HashMap<&SecretAddress, &Planned> = HashMap::new();
        for planned in &plan.secrets {
            let decision = planned.decision;
            *report.by_kind.entry(decision.kind.as_str()).or_default() += 1;
            let address = plan.address(planned);
            if !decision.kind.is_action() {
                if let Some(due) = decision.next_due {
                    report.next_due = Some(report.next_due.map_or(due, |d| d.min(due)));
                }
                continue;
            }
            if report.actions.iter().any(|a| &a.secret == address) {
                continue; // Resumed above; decide again next pass.
            }
            let reasons = decision.reasons.names().join(",");
            // Revocations and exposed values go now; rotations and
            // narrowings wait for their window, spread by their jitter.
            let urgent = decision.kind == DecisionKind::Revoke
                || decision
                    .reasons
                    .contains(crate::policy::Reason::SecretExposed);
            let due = config.schedule.due_at(address, urgent, now);
            if due > now {
                info!(secret = %address, due = %due, "{address}: the {} waits for its window until {due}.", decision.kind);
            }
            self.store.enqueue(address, due, &reasons).await?;
            work.insert(address, planned);
        }

        let queued = self.store.due(DateTime::<Utc>::MAX_UTC, u32::MAX).await?;
        let now = Utc::now();
        let mut jobs: Vec<(SecretAddress, Planned)> = Vec::new();
        for item in queued {
            match work.get(&item.secret) {
                // Decided otherwise since it was queued (rotated by hand, say).
                None => self.store.dequeue(&item.secret).await?,
                Some(planned) if item.due <= now => jobs.push((item.secret, **planned)),
                Some(_) => {
                    report.next_due = Some(report.next_due.map_or(item.due, |d| d.min(item.due)));
                }
            }
        }
        let results: Vec<Result<Option<ActionResult>, ReconcileError>> =
            futures_util::stream::iter(jobs)
                .map(|(secret, planned)| self.act(&config, secret, planned))
                .buffer_unordered(config.concurrency)
                .collect()
                .await;
        for result in results {
            if let Some(action) = result? {
                report.actions.push(action);
            }
        }
        let metrics = crate::metrics::global();
        for action in &report.actions {
            metrics.action(action.kind.as_str(), action.outcome.label());
            let reasons = work
                .get(&action.secret)
                .map(|p| {
                    p.decision
                        .reasons
                        .names()
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            self.notify_outcome(&config, action, reasons);
        }
        for (kind, count) in &report.by_kind {
            metrics
                .decisions
                .get_or_create(&crate::metrics::DecisionLabels {
                    decision: (*kind).to_owned(),
                })
                .inc_by(u64::try_from(*count).unwrap_or(u64::MAX));
        }
        if let Some(due) = self.engine.next_due().await? {
            report.next_due = Some(report.next_due.map_or(due, |d| d.min(due)));
        }
        if report.actions.is_empty() {
            self.publish(&config, &plan);
        } else {
            // Acting changed what is true: decide again, so the audit trail
            // and the admin API show the outcome, not the intent. Only the
            // secrets acted on are described again; the rest are as listed.
            let changed: Vec<SecretAddress> =
                report.actions.iter().map(|a| a.secret.clone()).collect();
            let after = self.replan(&config, &plan, &changed, Utc::now()).await?;
            self.record_decisions(&config, &after).await?;
            self.publish(&config, &after);
        }
        self.notify_upcoming(&config).await?;
        self.passes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(report)
    }

    async fn act(
        &self,
        config: &Config,
        secret: SecretAddress,
        planned: Planned,
    ) -> Result<Option<ActionResult>, ReconcileError> {
        self.store.dequeue(&secret).await?;
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
                return Ok(None);
            }
        }
        let reasons = planned
            .decision
            .reasons
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let check = Box::pin(self.still_needed(config, &secret, kind));
        let outcome = self
            .engine
            .start_checked(&secret, kind, reasons, record, Some(check))
            .await?;
        Ok(Some(ActionResult {
            secret,
            kind,
            outcome,
        }))
    }

    /// Decides `secret` again from fresh vault metadata, under its lease: a
    /// rotation another replica (or an operator) already did is not redone.
    async fn still_needed(&self, config: &Config, secret: &SecretAddress, kind: RunKind) -> bool {
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
        match kind {
            RunKind::Revoke => facts.enabled,
            // Privileges are not in the metadata; narrowing twice is harmless.
            RunKind::Narrow => true,
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

    /// Acts on one secret now, whatever the plan says (operator request).
    pub async fn act_now(
        &self,
        secret: &SecretAddress,
        kind: RunKind,
    ) -> Result<Outcome, ReconcileError> {
        let config = self.config();
        let plan = self.plan_with(&config, Utc::now()).await?;
        let planned = plan
            .secrets
            .iter()
            .find(|p| plan.address(p) == secret)
            .ok_or_else(|| ReconcileError::UnknownSecret(secret.to_string()))?;
        let record = planned.record.map(|i| &config.governance.records[i]);
        if self.engine.release(secret).await? {
            info!(secret = %secret, "Released {secret} from quarantine at the operator's request.");
        }
        self.audit
            .append(Event::new(
                "decision",
                Some(secret),
                None,
                json!({ "decision": kind.as_str(), "reasons": ["operator_request"], "record": record.map(|r| &r.id) }),
            ))
            .await?;
        info!(secret = %secret, "Decided to {kind} {secret}: operator request.");
        let outcome = self
            .engine
            .start(secret, kind, vec!["operator_request".to_owned()], record)
            .await?;
        crate::metrics::global().action(kind.as_str(), outcome.label());
        let action = ActionResult {
            secret: secret.clone(),
            kind,
            outcome,
        };
        self.notify_outcome(&config, &action, vec!["operator_request".to_owned()]);
        Ok(action.outcome)
    }

    /// Logs and records (in one audit batch) every decision that changed since last recorded.
    async fn record_decisions(&self, config: &Config, plan: &Plan) -> Result<(), ReconcileError> {
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
                }),
            ));
            changed.push((address.clone(), key, fingerprint));
        }
        for &record in &plan.dangling {
            let entry = Plan::dangling_entry(config, record);
            warn!(record = entry.record.unwrap_or_default(), selector = %entry.secret, "Record {} matches no secret.", entry.record.unwrap_or_default());
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
