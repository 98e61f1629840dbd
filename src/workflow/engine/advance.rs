//! After a step: persisting its result (the next phase, evidence, the
//! audit entry), and the failure policy (retry with backoff, roll back, give
//! up, count failures and quarantine a secret that keeps failing).

use chrono::Utc;
use serde_json::json;
use tenure_plugin_api::{PluginError, stamp};
use tracing::{info, warn};

use super::{Engine, EngineError, Outcome};
use crate::audit::Event;
use crate::state::{Phase, Run, RunKind, RunStatus};
use crate::workflow::backoff;
use crate::workflow::context::StepDone;

impl Engine {
    pub(super) async fn advance(
        &self,
        run: &mut Run,
        phase: Phase,
        done: StepDone,
    ) -> Result<(), EngineError> {
        let now = Utc::now();
        run.phase = done.next;
        run.status = done.status;
        run.attempts = 0;
        if done.status != RunStatus::RolledBack {
            // A rolled-back run keeps the error that caused the rollback.
            run.last_error = None;
        }
        run.not_before = done.not_before.unwrap_or(now);
        run.updated_at = now;
        if done.pending_version.is_some() {
            run.pending_version = done.pending_version;
        }
        if done.previous_version.is_some() {
            run.previous_version = done.previous_version;
        }
        self.store.update_run(run).await?;
        let kind = if done.verified {
            "verification"
        } else {
            "phase"
        };
        self.audit
            .append(Event::new(
                kind,
                Some(&run.secret),
                Some(&run.id),
                json!({ "phase": phase.as_str(), "result": "ok", "next": run.phase.as_str(), "evidence": done.evidence }),
            ))
            .await?;
        info!(secret = %run.secret, run = %run.id, phase = %phase, next = %run.phase, "Completed phase {phase}.");
        match (run.kind, phase, run.status) {
            (RunKind::Rotate, Phase::Promote, _) => {
                let mut state = self.store.secret_state(&run.secret).await?;
                state.last_rotated_at = Some(now);
                state.failures = 0;
                state.last_error = None;
                state.quarantined = false;
                self.store.put_secret_state(&run.secret, &state).await?;
                info!(
                    secret = %run.secret,
                    run = %run.id,
                    retire_at = %stamp(run.not_before),
                    "Rotated: the new credential was tested and promoted; the previous one is retired after the grace period."
                );
            }
            (RunKind::Revoke, _, RunStatus::Succeeded) => {
                let mut state = self.store.secret_state(&run.secret).await?;
                state.revoked_at = Some(now);
                state.failures = 0;
                state.last_error = None;
                self.store.put_secret_state(&run.secret, &state).await?;
                info!(secret = %run.secret, run = %run.id, "Revoked: the credential is refused and disabled in the vault.");
            }
            (RunKind::Retire, _, RunStatus::Succeeded) => {
                info!(secret = %run.secret, run = %run.id, "Retired again: retired credentials are refused and the vault serves no retired value.");
            }
            (RunKind::Narrow, _, RunStatus::Succeeded) => {
                info!(secret = %run.secret, run = %run.id, "Narrowed: privileges are within the approved scopes.");
            }
            (RunKind::Rotate, Phase::Retire, RunStatus::Succeeded) => {
                info!(secret = %run.secret, run = %run.id, "Retired the previous credential.");
            }
            (_, _, RunStatus::RolledBack) => {
                self.count_failure(run).await?;
                warn!(secret = %run.secret, run = %run.id, "Rolled back: the current credential stays in use.");
            }
            _ => {}
        }
        Ok(())
    }

    /// Handles a failed phase. `None` means the loop continues (into a rollback).
    pub(super) async fn fail(
        &self,
        run: &mut Run,
        phase: Phase,
        err: PluginError,
    ) -> Result<Option<Outcome>, EngineError> {
        let now = Utc::now();
        let policy = self.config.current().retry;
        run.attempts += 1;
        run.last_error = Some(format!("{phase}: {err}"));
        run.updated_at = now;
        let retry = err.kind().is_retryable() && run.attempts < policy.max_attempts;
        self.audit
            .append(Event::new(
                "error",
                Some(&run.secret),
                Some(&run.id),
                json!({
                    "phase": phase.as_str(),
                    "kind": err.kind().as_str(),
                    "error": err.message(),
                    "attempt": run.attempts,
                    "will_retry": retry,
                }),
            ))
            .await?;
        if retry {
            let at = now
                + chrono::TimeDelta::from_std(backoff::delay(&policy, run.attempts))
                    .unwrap_or(chrono::TimeDelta::MAX);
            run.not_before = at;
            self.store.update_run(run).await?;
            warn!(secret = %run.secret, run = %run.id, phase = %phase, attempt = run.attempts, retry_at = %stamp(at), error = %err, "Phase failed; will retry.");
            return Ok(Some(Outcome::RetryLater {
                at,
                error: err.to_string(),
            }));
        }
        let rollback = run.kind == RunKind::Rotate
            && matches!(
                phase,
                Phase::CreatePending | Phase::SetInTarget | Phase::Test | Phase::Promote
            );
        if rollback {
            warn!(secret = %run.secret, run = %run.id, phase = %phase, error = %err, "Phase failed; rolling back.");
            run.phase = Phase::Rollback;
            run.attempts = 0;
            run.not_before = now;
            self.store.update_run(run).await?;
            return Ok(None);
        }
        run.status = RunStatus::Failed;
        self.store.update_run(run).await?;
        warn!(secret = %run.secret, run = %run.id, phase = %phase, error = %err, "Run failed; escalating.");
        self.count_failure(run).await?;
        Ok(Some(Outcome::Failed {
            error: err.to_string(),
        }))
    }

    pub(super) async fn count_failure(&self, run: &Run) -> Result<(), EngineError> {
        let mut state = self.store.secret_state(&run.secret).await?;
        state.failures += 1;
        state.last_error = run.last_error.clone();
        let quarantine =
            !state.quarantined && state.failures >= self.config.current().retry.quarantine_after;
        if quarantine {
            state.quarantined = true;
        }
        self.store.put_secret_state(&run.secret, &state).await?;
        if quarantine {
            self.audit
                .append(Event::new(
                    "quarantined",
                    Some(&run.secret),
                    Some(&run.id),
                    json!({ "failures": state.failures, "last_error": state.last_error }),
                ))
                .await?;
            warn!(secret = %run.secret, failures = state.failures, "Quarantined after repeated failures; a person must release it with `tenure rotate`.");
        }
        Ok(())
    }
}
