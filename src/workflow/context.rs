//! What a step works with: its context (plugins, record, clock, state
//! store, the values this drive holds), what it returns ([`StepDone`]), and
//! the lookups every phase shares (the run's provider and target, versions,
//! the account guard).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tenure_plugin_api::{ErrorKind, PluginError, Provider, SecretValue, Stage, Target, VersionId};

use crate::governance::Record;
use crate::plugins::Plugins;
use crate::state::{LoginRole, LoginsRow, Phase, Run, RunStatus, StateStore};

/// What a finished step changes in its run.
#[derive(Debug)]
pub struct StepDone {
    /// The phase to persist next.
    pub next: Phase,
    /// The run's status after the step.
    pub status: RunStatus,
    /// Do not run the next phase before this time.
    pub not_before: Option<DateTime<Utc>>,
    /// The staged version, once known.
    pub pending_version: Option<String>,
    /// The version being replaced, once known.
    pub previous_version: Option<String>,
    /// Evidence for the audit trail (identifiers and proofs only).
    pub evidence: Value,
    /// Whether this step verified an outcome (recorded as a verification).
    pub verified: bool,
}

impl StepDone {
    /// Go on to `next`.
    pub(super) fn to(next: Phase) -> Self {
        Self {
            next,
            status: RunStatus::Active,
            not_before: None,
            pending_version: None,
            previous_version: None,
            evidence: json!({}),
            verified: false,
        }
    }

    /// The run ends with `status`.
    pub(super) fn finished(status: RunStatus) -> Self {
        Self {
            status,
            ..Self::to(Phase::Done)
        }
    }

    /// With this evidence for the audit trail.
    pub(super) fn evidence(mut self, evidence: Value) -> Self {
        self.evidence = evidence;
        self
    }

    /// Recorded as a verification.
    pub(super) fn verified(mut self) -> Self {
        self.verified = true;
        self
    }
}

/// What a step needs besides the run.
pub struct StepContext<'a> {
    /// Running plugins.
    pub plugins: &'a Plugins,
    /// The governing record, if any.
    pub record: Option<&'a Record>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Values this drive of the run already holds.
    pub values: &'a ValueCache,
    /// The state store (logins a revocation or retirement disabled).
    pub store: &'a dyn StateStore,
}

impl StepContext<'_> {
    /// The logins `run`'s secret recorded when it was revoked or retired.
    pub(super) async fn recorded_logins(
        &self,
        run: &Run,
        role: LoginRole,
    ) -> Result<Vec<String>, PluginError> {
        self.store
            .logins_of(&run.secret.to_string(), role)
            .await
            .map_err(|e| PluginError::retryable(e.to_string()))
    }

    /// Records the logins a revocation or retirement of `run`'s secret is
    /// about to disable, before it acts, so a crash between the two leaves
    /// them known.
    pub(super) async fn record_logins(
        &self,
        run: &Run,
        role: LoginRole,
        logins: &[String],
    ) -> Result<(), PluginError> {
        if logins.is_empty() {
            return Ok(());
        }
        self.store
            .put_logins(&LoginsRow {
                secret: run.secret.to_string(),
                role,
                names: logins.to_vec(),
                at: self.now,
            })
            .await
            .map_err(|e| PluginError::retryable(e.to_string()))
    }
}

/// The values one drive of a run has already read or issued, by version id,
/// so its later phases do not fetch them from the vault again (a rotation
/// through a remote vault would otherwise read each value several times).
/// It lives only as long as the drive: a run resumed after a crash or a
/// retry reads from the vault, which stays the source of truth.
#[derive(Default)]
pub struct ValueCache(Mutex<HashMap<String, SecretValue>>);

impl ValueCache {
    /// The value of `version`, if this drive holds it.
    pub(super) fn get(&self, version: &VersionId) -> Option<SecretValue> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&version.0)
            .cloned()
    }

    pub(super) fn put(&self, version: &VersionId, value: &SecretValue) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version.0.clone(), value.clone());
    }

    /// The value of `version`, from this drive or else from the vault.
    pub(super) async fn version(
        &self,
        provider: &dyn Provider,
        path: &str,
        version: &VersionId,
    ) -> Result<Option<SecretValue>, PluginError> {
        if let Some(value) = self.get(version) {
            return Ok(Some(value));
        }
        let value = read_version(provider, path, version).await?;
        if let Some(value) = &value {
            self.put(version, value);
        }
        Ok(value)
    }
}

/// Refuses to act on a value that names an account the run's record does
/// not approve: whoever can write a governed secret must not be able to
/// point Tenure's admin rights at another account. A permanent error, so
/// the run stops (a rotation rolls back) with nothing done in the target.
pub(super) fn guard(
    ctx: &StepContext<'_>,
    target: &dyn Target,
    run: &Run,
    value: &SecretValue,
) -> Result<(), PluginError> {
    let Some(record) = ctx.record else {
        return Ok(());
    };
    match target.account(value)? {
        Some(name) if !record.approves_account(&name) => Err(PluginError::permanent(format!(
            "account_mismatch: the value of {} names the account {name}, which record {} does not approve ({}); nothing was done in the target",
            run.secret,
            record.id,
            record.account.as_deref().unwrap_or("-")
        ))),
        _ => Ok(()),
    }
}

/// The run's provider.
pub(super) fn provider_of(
    ctx: &StepContext<'_>,
    run: &Run,
) -> Result<Arc<dyn Provider>, PluginError> {
    ctx.plugins
        .provider(run.secret.provider())
        .cloned()
        .ok_or_else(|| {
            PluginError::permanent(format!(
                "provider {} is not configured",
                run.secret.provider()
            ))
        })
}

/// The run's target.
pub(super) fn target_of(ctx: &StepContext<'_>, run: &Run) -> Result<Arc<dyn Target>, PluginError> {
    let name = run
        .target
        .as_deref()
        .ok_or_else(|| PluginError::permanent("the run has no target"))?;
    ctx.plugins
        .target(name)
        .cloned()
        .ok_or_else(|| PluginError::permanent(format!("target {name} is not configured")))
}

pub(super) fn version_of(
    run: &Run,
    which: Option<&String>,
    what: &str,
) -> Result<VersionId, PluginError> {
    which.cloned().map(VersionId).ok_or_else(|| {
        PluginError::permanent(format!("run {} has no {what} version recorded", run.id))
    })
}

/// Reads the current value; `None` when the secret has no current version.
pub(super) async fn read_current(
    provider: &dyn Provider,
    path: &str,
) -> Result<Option<SecretValue>, PluginError> {
    match provider.read(path, Stage::Current).await {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// The value `run` staged as pending (this drive's, else the vault's),
/// which must exist: a read that found nothing is "not found", as
/// `read_version` itself reports it.
pub(super) async fn pending_value(
    ctx: &StepContext<'_>,
    run: &Run,
    provider: &dyn Provider,
) -> Result<SecretValue, PluginError> {
    let path = run.secret.path();
    let pending = version_of(run, run.pending_version.as_ref(), "pending")?;
    let value = ctx.values.version(provider, path, &pending).await?;
    value.ok_or_else(|| PluginError::not_found(format!("version {pending} of {path}")))
}

/// Reads a version; `None` when it is already gone.
pub(super) async fn read_version(
    provider: &dyn Provider,
    path: &str,
    version: &VersionId,
) -> Result<Option<SecretValue>, PluginError> {
    match provider.read_version(path, version).await {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}
