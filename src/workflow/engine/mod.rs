//! [`Engine`]: drives runs phase by phase, persisting each before acting.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

mod advance;
mod outcome;

pub use outcome::{EngineError, Outcome, StillNeeded};

use super::context::{StepContext, ValueCache};
use super::fault::{Boundary, maybe_pause};
use super::steps::execute;
use crate::audit::{AuditLog, Event};
use crate::config::SharedConfig;
use crate::governance::Record;
use crate::plugins::Plugins;
use crate::state::{Phase, Run, RunKind, RunStatus, StateStore};

/// Drives workflow runs.
pub struct Engine {
    config: SharedConfig,
    plugins: Plugins,
    store: Arc<dyn StateStore>,
    audit: AuditLog,
    holder: String,
    /// The secrets a task of this process is acting on now. The store's
    /// lease is held per process (renewable by its holder), so it keeps
    /// replicas apart but not two tasks of one process: an operator's
    /// request and the service loop, or two requests, would drive the same
    /// run at once. A second task gets `Busy` here instead.
    acting: Mutex<HashSet<String>>,
}

/// A secret claimed in [`Engine::acting`], given back on drop (also when
/// the future holding it is dropped, as when a client disconnects).
struct Claim<'a> {
    acting: &'a Mutex<HashSet<String>>,
    secret: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.acting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.secret);
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine acting as `holder` (unique per process) for leases.
    pub fn new(
        config: impl Into<SharedConfig>,
        plugins: Plugins,
        store: Arc<dyn StateStore>,
        audit: AuditLog,
        holder: String,
    ) -> Self {
        Self {
            config: config.into(),
            plugins,
            store,
            audit,
            holder,
            acting: Mutex::default(),
        }
    }

    /// Starts a run of `kind` for `secret` (or resumes the one in progress) and drives it.
    pub async fn start(
        &self,
        secret: &SecretAddress,
        kind: RunKind,
        reasons: Vec<String>,
        record: Option<&Record>,
    ) -> Result<Outcome, EngineError> {
        self.start_checked(secret, kind, reasons, record, None)
            .await
    }

    /// As [`Engine::start`], holding the secret's lease throughout; with
    /// `still_needed`, that check runs first under the lease, so two
    /// replicas that both decided to act cannot both act.
    pub async fn start_checked(
        &self,
        secret: &SecretAddress,
        kind: RunKind,
        reasons: Vec<String>,
        record: Option<&Record>,
        still_needed: Option<StillNeeded<'_>>,
    ) -> Result<Outcome, EngineError> {
        let work = async move {
            if let Some(check) = still_needed
                && !check.await
            {
                info!(secret = %secret, action = %kind, "{secret} no longer needs a {kind}: another process acted first.");
                return Ok(Outcome::NotNeeded);
            }
            let active: Vec<Run> = self
                .store
                .runs_for(secret, 20)
                .await?
                .into_iter()
                .filter(|r| r.status == RunStatus::Active)
                .collect();
            for mut run in active {
                if run.phase == Phase::Retire {
                    // A new action supersedes the grace period of the last rotation:
                    // retire the previous credential now, so at most one old one exists.
                    run.not_before = Utc::now();
                    run.updated_at = run.not_before;
                    self.store.update_run(&mut run).await?;
                    let outcome = self.drive_leased(run).await?;
                    if !outcome.is_success() {
                        return Ok(outcome);
                    }
                } else {
                    // Finish what was started before starting anything new.
                    return self.drive_leased(run).await;
                }
            }
            let target = record.map(|r| r.target.clone());
            let mut run = Run::new(
                secret.clone(),
                kind,
                reasons.clone(),
                record.map(|r| r.id.clone()),
                target.clone(),
                Utc::now(),
            );
            if target.is_none() {
                // No target (an orphan): the vault is the enforcement point.
                match kind {
                    RunKind::Revoke => run.phase = Phase::DisableInVault,
                    RunKind::Retire => run.phase = Phase::RetireInVault,
                    RunKind::Rotate | RunKind::Narrow => {}
                }
            }
            self.store.insert_run(&run).await?;
            self.audit
                .append(Event::new(
                    "run_started",
                    Some(secret),
                    Some(&run.id),
                    json!({ "action": kind.as_str(), "reasons": reasons, "record": run.record, "target": target }),
                ))
                .await?;
            info!(secret = %secret, run = %run.id, action = %kind, "Started a {kind} run.");
            // Under the lease already: driving through `drive` would give it
            // back when that run stops.
            self.drive_leased(run).await
        };
        self.leased(secret, work).await
    }

    /// Drives every active run that is due (crash recovery, retries, grace periods).
    pub async fn resume_due(&self) -> Result<Vec<(Run, Outcome)>, EngineError> {
        let now = Utc::now();
        let mut results = Vec::new();
        for run in self.store.active_runs().await? {
            if run.not_before <= now {
                let outcome = self.drive(run.clone()).await?;
                results.push((run, outcome));
            }
        }
        Ok(results)
    }

    /// The earliest time an active run becomes due, if any.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, EngineError> {
        Ok(self
            .store
            .active_runs()
            .await?
            .iter()
            .map(|r| r.not_before)
            .min())
    }

    /// Drives one run under the secret's lease until it finishes or must wait.
    pub async fn drive(&self, run: Run) -> Result<Outcome, EngineError> {
        let secret = run.secret.clone();
        self.leased(&secret, self.drive_leased(run)).await
    }

    /// Runs `work` holding the lease on `secret` (Busy when another holder
    /// has it, or another task of this process acts on the secret), then
    /// gives the lease back. Not re-entrant: `work` drives runs with
    /// [`Engine::drive_leased`].
    async fn leased(
        &self,
        secret: &SecretAddress,
        work: impl std::future::Future<Output = Result<Outcome, EngineError>>,
    ) -> Result<Outcome, EngineError> {
        let Some(_claim) = self.claim(secret) else {
            info!(secret = %secret, "Another task of this process is acting on {secret}: busy.");
            return Ok(Outcome::Busy);
        };
        if !self.lease(secret).await? {
            return Ok(Outcome::Busy);
        }
        let result = work.await;
        if let Err(err) = self.store.release_lease(secret, &self.holder).await {
            warn!(secret = %secret, error = %err, "Could not release the lease; it will expire.");
        }
        result
    }

    /// Claims `secret` for this task; `None` when another task of this
    /// process has it.
    fn claim(&self, secret: &SecretAddress) -> Option<Claim<'_>> {
        let secret = secret.to_string();
        let mut acting = self.acting.lock().unwrap_or_else(PoisonError::into_inner);
        // Built only once inserted: dropping a Claim gives the secret back.
        acting.insert(secret.clone()).then(|| Claim {
            acting: &self.acting,
            secret,
        })
    }

    /// Takes or renews the lease on `secret`; a lease left by a dead process
    /// on this host is taken over at once.
    async fn lease(&self, secret: &SecretAddress) -> Result<bool, EngineError> {
        let ttl = self.config.current().lease_ttl;
        if self.store.try_lease(secret, &self.holder, ttl).await? {
            return Ok(true);
        }
        match self.store.lease_holder(secret).await? {
            Some(holder) if super::holder::is_dead_local(&holder) => {
                let taken = self
                    .store
                    .take_over_lease(secret, &holder, &self.holder, ttl)
                    .await?;
                if taken {
                    info!(secret = %secret, previous_holder = %holder, "Took over the lease of a process that is no longer running.");
                }
                Ok(taken)
            }
            _ => Ok(false),
        }
    }

    async fn drive_leased(&self, run: Run) -> Result<Outcome, EngineError> {
        // Another process may have advanced the run before we took the lease.
        let mut run = self.store.get_run(&run.id).await?.unwrap_or(run);
        let mut leased_at = std::time::Instant::now();
        let values = ValueCache::default();
        loop {
            match run.status {
                RunStatus::Active => {}
                RunStatus::Succeeded => return Ok(Outcome::Succeeded),
                RunStatus::RolledBack => {
                    return Ok(Outcome::RolledBack {
                        error: run.last_error.clone().unwrap_or_default(),
                    });
                }
                RunStatus::Failed => {
                    return Ok(Outcome::Failed {
                        error: run.last_error.clone().unwrap_or_default(),
                    });
                }
            }
            let now = Utc::now();
            if run.not_before > now {
                return Ok(if run.phase == Phase::Retire {
                    Outcome::Promoted {
                        retire_at: run.not_before,
                    }
                } else {
                    Outcome::RetryLater {
                        at: run.not_before,
                        error: run.last_error.clone().unwrap_or_default(),
                    }
                });
            }
            // Renew the lease once a third of its lifetime has passed.
            if leased_at.elapsed() > self.config.current().lease_ttl / 3 {
                if !self.lease(&run.secret).await? {
                    return Ok(Outcome::Busy);
                }
                leased_at = std::time::Instant::now();
            }
            let phase = run.phase;
            maybe_pause(phase, Boundary::Before).await;
            let config = self.config.current();
            let ctx = StepContext {
                plugins: &self.plugins,
                record: run
                    .record
                    .as_deref()
                    .and_then(|id| config.governance.records.iter().find(|r| r.id == id)),
                now,
                values: &values,
                store: self.store.as_ref(),
            };
            let started = std::time::Instant::now();
            let result = execute(&ctx, &run).await;
            crate::metrics::global().phase(
                run.kind.as_str(),
                phase.as_str(),
                started.elapsed().as_secs_f64(),
            );
            match result {
                Ok(done) => {
                    maybe_pause(phase, Boundary::After).await;
                    self.advance(&mut run, phase, done).await?;
                }
                Err(err) => {
                    if let Some(outcome) = self.fail(&mut run, phase, err).await? {
                        return Ok(outcome);
                    }
                }
            }
        }
    }

    /// Clears a quarantine (an operator asked for an action explicitly).
    pub async fn release(&self, secret: &SecretAddress) -> Result<bool, EngineError> {
        let mut state = self.store.secret_state(secret).await?;
        if !state.quarantined {
            return Ok(false);
        }
        state.quarantined = false;
        state.failures = 0;
        self.store.put_secret_state(secret, &state).await?;
        self.audit
            .append(Event::new(
                "released",
                Some(secret),
                None,
                json!({ "by": "operator" }),
            ))
            .await?;
        Ok(true)
    }
}
