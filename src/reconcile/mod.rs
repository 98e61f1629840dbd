//! One reconcile pass: resume unfinished runs, read the inventories, act at
//! once on what cannot wait (revocations, exposed and rejected credentials,
//! retired ones alive again), attest what is due, decide again from what
//! attestation found, act, record.
//!
//! Triggers (cron ticks, stored events, the reconcile interval) wake the
//! service loop; the pass decides what is due and drains it through the
//! workflow engine, at most `tenure.concurrency` secrets at a time (an
//! operator's rotate or revoke goes to the engine directly). One vault's or
//! target's outage affects only its own secrets: the others are still
//! decided and acted on.
//!
//! ```text
//! mod      the Reconciler, the pass, planning
//! act      queueing and carrying out decisions
//! approve  the four-eyes gate in front of destructive actions
//! attest   attestation passes: what is due, under which budget, recorded how
//! checkpoint this process's audit trail anchored in the shared registry
//! discover accounts no governed secret names: reported, told, disabled
//! record   decisions to the audit trail, owners told, the published view
//! report   what a pass did
//! ```

mod act;
mod approve;
pub mod attest;
mod checkpoint;
mod discover;
mod record;
mod report;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;
use tracing::info;

use crate::audit::{AuditError, AuditLog};
use crate::config::{Config, SharedConfig};
use crate::events::{Exposures, overlay};
use crate::notify::Notifier;
use crate::plan::{Inventory, Plan, gather, plan_facts};
use crate::plugins::Plugins;
use crate::policy::{DecisionKind, Reason};
use crate::state::{RunKind, StateError, StateStore};
use crate::status::PlannedSecret;
use crate::workflow::{Engine, EngineError, Outcome};

pub use act::ActionResult;
pub use approve::{DecideError, Decided, OPERATOR_REQUEST, TENURE};
pub use attest::{AttestReport, Mode, Selection};
pub use report::PassReport;

/// Why a pass could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
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
    /// No single record governs the address: there is nothing to check it against.
    #[error("{0} is governed by no record (or by several): there is nothing to attest it against")]
    NotGoverned(String),
    /// The provider of the address could not list its secrets.
    #[error("provider {provider} could not be read: {error}")]
    ProviderUnavailable {
        /// The provider.
        provider: String,
        /// Why.
        error: String,
    },
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
    /// Per-target attestation budgets.
    attest_limits: crate::scheduler::ProviderLimits,
    /// When each target's accounts were last listed, by this process.
    discovered: std::sync::Mutex<HashMap<String, DateTime<Utc>>>,
    /// Owner notifications, when configured.
    notifier: Option<Notifier>,
    /// Expiry notifications this process knows were sent (the store is the record).
    told: std::sync::Mutex<HashSet<String>>,
    /// The trail head (trail id, sequence number) this process last anchored.
    checkpointed: std::sync::Mutex<Option<(String, u64)>>,
    plugins: Plugins,
    store: Arc<dyn StateStore>,
    audit: AuditLog,
    engine: Engine,
}

impl Reconciler {
    /// A reconciler over running plugins and an open store. The app wires
    /// one with everything else it needs (`crate::app::open`): use that.
    pub fn new(
        config: Arc<Config>,
        plugins: Plugins,
        store: Arc<dyn StateStore>,
        audit: AuditLog,
    ) -> Self {
        let holder = crate::workflow::new_holder();
        let shared = SharedConfig::from(Arc::clone(&config));
        let limits = crate::scheduler::ProviderLimits::new(&config.budgets);
        let attest_budgets = config
            .target_settings
            .iter()
            .map(|(name, s)| (name.clone(), s.attest))
            .collect();
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
            attest_limits: crate::scheduler::ProviderLimits::new(&attest_budgets),
            discovered: std::sync::Mutex::default(),
            notifier: None,
            told: std::sync::Mutex::default(),
            checkpointed: std::sync::Mutex::default(),
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

    /// The engine (for one-off actions).
    pub fn engine(&self) -> &Engine {
        &self.engine
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

    /// A dry run: every secret with its decision (from the vaults'
    /// inventories and the latest recorded attestations; no target is
    /// asked), dangling records, unreadable providers and unmanaged
    /// accounts. Changes nothing.
    pub async fn plan(&self, now: DateTime<Utc>) -> Result<Plan, ReconcileError> {
        let config = self.config();
        let inventory = self.inventory(&config).await?;
        self.plan_inventory(&config, &inventory, now).await
    }

    /// Every vault's inventory, with the latest recorded attestations.
    pub(crate) async fn inventory(&self, config: &Config) -> Result<Inventory, ReconcileError> {
        let states = self.store.secret_states().await?;
        let attestations = self.store.attestations().await?;
        Ok(gather(config, &self.plugins, &states, &attestations).await)
    }

    /// Decides every secret of `inventory` at `now`.
    async fn plan_inventory(
        &self,
        config: &Config,
        inventory: &Inventory,
        now: DateTime<Utc>,
    ) -> Result<Plan, ReconcileError> {
        let mut facts = inventory.facts.clone();
        let exposures = self.exposures.load();
        if !exposures.is_empty() {
            for f in &mut facts {
                f.exposed_at = exposures.get(&f.address.to_string()).copied();
            }
        }
        let mut plan = plan_facts(config, facts, now);
        plan.outages = inventory
            .outages
            .iter()
            .map(|o| (o.provider.clone(), o.error.to_string()))
            .collect();
        plan.unmanaged = self.store.unmanaged().await?;
        plan.pending = crate::status::open_approvals(self.store.as_ref())
            .await?
            .into_iter()
            .filter(|(_, a)| a.status == crate::approvals::ApprovalStatus::Pending)
            .map(|(subject, a)| (subject, a.id))
            .collect();
        Ok(plan)
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
        let config = self.config();
        let mut inventory = self.inventory(&config).await?;

        // What cannot wait is done before anything is attested.
        let plan = self.plan_inventory(&config, &inventory, Utc::now()).await?;
        self.record_decisions(&config, &plan).await?;
        self.sweep_approvals(&config, &plan).await?;
        let mut reasons = self
            .act_on(&config, &plan, act::Scope::Urgent, &mut report)
            .await?;

        // Attest what is due (not what was just acted on), then decide again.
        let acted: HashSet<SecretAddress> = report.acted().map(|a| a.secret.clone()).collect();
        let attested = self
            .attest(
                &config,
                &mut inventory,
                Selection::Due { skip: &acted },
                attest::Mode::Repair,
            )
            .await?;
        report.attested = attested.attestations.len();
        report.next_due = attested.next_due;
        report.unavailable += attested.discovery_errors.len();
        let plan = self.plan_inventory(&config, &inventory, Utc::now()).await?;
        self.record_decisions(&config, &plan).await?;
        reasons.extend(
            self.act_on(&config, &plan, act::Scope::All, &mut report)
                .await?,
        );

        report.decided = plan.secrets.len() + plan.dangling.len();
        *report
            .by_kind
            .entry(DecisionKind::Escalate.as_str())
            .or_default() += plan.dangling.len();
        for planned in &plan.secrets {
            *report
                .by_kind
                .entry(planned.decision.kind.as_str())
                .or_default() += 1;
        }
        self.count_and_tell(&config, &report, &reasons);
        if let Some(due) = self.engine.next_due().await? {
            report.next_due = Some(report.next_due.map_or(due, |d| d.min(due)));
        }
        let plan = if report.acted().next().is_none() {
            plan
        } else {
            // Acting changed what is true: decide again, so the audit trail
            // and the admin API show the outcome, not the intent. Only the
            // secrets acted on are described again; the rest are as listed.
            let changed: Vec<SecretAddress> = report.acted().map(|a| a.secret.clone()).collect();
            let mut states = HashMap::new();
            for address in &changed {
                states.insert(address.to_string(), self.store.secret_state(address).await?);
            }
            let attestations = self.store.attestations().await?;
            inventory
                .refresh(&self.plugins, &states, &attestations, &changed)
                .await;
            // Attested again: what the audit trail and the plan show is
            // what holds after the action, proven.
            self.attest(
                &config,
                &mut inventory,
                Selection::Acted(&changed),
                attest::Mode::Repair,
            )
            .await?;
            let after = self.plan_inventory(&config, &inventory, Utc::now()).await?;
            self.record_decisions(&config, &after).await?;
            after
        };
        report.unavailable += plan
            .secrets
            .iter()
            .filter(|p| p.decision.reasons.contains(Reason::AttestationUnavailable))
            .count()
            + plan.outages.len();
        self.publish(&config, &plan);
        self.notify_upcoming(&config).await?;
        self.record_checkpoint().await?;
        self.passes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(report)
    }
}

fn run_kind(kind: DecisionKind) -> Option<RunKind> {
    match kind {
        DecisionKind::Rotate => Some(RunKind::Rotate),
        DecisionKind::Narrow => Some(RunKind::Narrow),
        DecisionKind::Retire => Some(RunKind::Retire),
        DecisionKind::Revoke => Some(RunKind::Revoke),
        DecisionKind::Compliant | DecisionKind::Escalate => None,
    }
}

/// Whether an action is done at once, before attestation and whatever the
/// windows say: revocations, retirements, exposed and rejected credentials.
fn urgent(decision: &crate::policy::Decision) -> bool {
    matches!(decision.kind, DecisionKind::Revoke | DecisionKind::Retire)
        || decision.reasons.contains(Reason::SecretExposed)
        || (decision.kind == DecisionKind::Rotate
            && decision.reasons.contains(Reason::CredentialRejected))
}

/// An outcome that is not a run: the decided action could not be carried out.
fn cannot_act(error: String) -> Outcome {
    Outcome::Unsupported { error }
}
