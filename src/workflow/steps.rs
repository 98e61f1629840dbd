//! The side effect of each phase. Every step is idempotent: it may run again
//! after a crash, and finds the work already done.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tenure_plugin_api::{
    ErrorKind, PluginError, Promotion, Provider, SecretValue, Stage, Target, TargetContext,
    VersionId,
};

use super::checks;
use super::retire;
use crate::governance::Record;
use crate::plugins::Plugins;
use crate::state::{LoginRole, LoginsRow, Phase, Run, RunKind, RunStatus, StateStore};

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

    fn put(&self, version: &VersionId, value: &SecretValue) {
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

fn version_of(run: &Run, which: Option<&String>, what: &str) -> Result<VersionId, PluginError> {
    which.cloned().map(VersionId).ok_or_else(|| {
        PluginError::permanent(format!("run {} has no {what} version recorded", run.id))
    })
}

/// Reads the current value; `None` when the secret has no current version.
async fn read_current(
    provider: &dyn Provider,
    path: &str,
) -> Result<Option<SecretValue>, PluginError> {
    match provider.read(path, Stage::Current).await {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// A value that must exist: a read that found nothing is "not found", as
/// `read_version` itself reports it.
fn required(
    value: Option<SecretValue>,
    version: &VersionId,
    path: &str,
) -> Result<SecretValue, PluginError> {
    value.ok_or_else(|| PluginError::not_found(format!("version {version} of {path}")))
}

/// Reads a version; `None` when it is already gone.
async fn read_version(
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

/// Runs the side effect of `run.phase`.
pub async fn execute(ctx: &StepContext<'_>, run: &Run) -> Result<StepDone, PluginError> {
    let scopes: &[String] = ctx.record.map_or(&[], |r| r.scopes.as_slice());
    let tctx = TargetContext {
        address: &run.secret,
        run_id: &run.id,
        scopes,
    };
    let path = run.secret.path();
    match (run.kind, run.phase) {
        (RunKind::Rotate, Phase::CreatePending) => {
            let provider = provider_of(ctx, run)?;
            let target = target_of(ctx, run)?;
            let meta = provider.describe(path).await?;
            let previous_version = meta.version(Stage::Current).map(|v| v.id.0.clone());
            let mut evidence = json!({ "replaces": previous_version });
            if let Some(pending) = meta.version(Stage::Pending) {
                if pending.token.as_deref() == Some(run.id.as_str()) {
                    // Staged before a crash: keep it.
                    let mut done = StepDone::to(Phase::SetInTarget)
                        .evidence(json!({ "pending_version": pending.id.0, "resumed": true }));
                    done.pending_version = Some(pending.id.0.clone());
                    done.previous_version = run.previous_version.clone().or(previous_version);
                    return Ok(done);
                }
                // Left over from an earlier failure: it must not block this rotation.
                provider.discard_pending(path, &pending.id).await?;
                evidence["discarded_stale_pending"] = json!(pending.id.0);
            }
            if !meta.enabled {
                return Err(PluginError::permanent(format!(
                    "{} is disabled in its vault; a disabled secret is not rotated",
                    run.secret
                )));
            }
            // The current version is known from the metadata: read it by id.
            let current = match meta.version(Stage::Current) {
                Some(version) => {
                    ctx.values
                        .version(provider.as_ref(), path, &version.id)
                        .await?
                }
                None => None,
            };
            if let Some(current) = &current {
                guard(ctx, target.as_ref(), run, current)?;
            }
            let value = target.issue(tctx, current.as_ref()).await?;
            let mut annotations = BTreeMap::new();
            annotations.insert(
                "rotated_at".to_owned(),
                ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            annotations.insert("reason".to_owned(), run.reasons.join(","));
            annotations.insert("run".to_owned(), run.id.clone());
            let version = provider
                .stage_pending(path, &run.id, &value, &annotations)
                .await?;
            ctx.values.put(&version, &value);
            evidence["pending_version"] = json!(version.0);
            let mut done = StepDone::to(Phase::SetInTarget).evidence(evidence);
            done.pending_version = Some(version.0);
            done.previous_version = run.previous_version.clone().or(previous_version);
            Ok(done)
        }
        (RunKind::Rotate, Phase::SetInTarget) => {
            let provider = provider_of(ctx, run)?;
            let target = target_of(ctx, run)?;
            let pending_id = version_of(run, run.pending_version.as_ref(), "pending")?;
            let pending = required(
                ctx.values
                    .version(provider.as_ref(), path, &pending_id)
                    .await?,
                &pending_id,
                path,
            )?;
            // The current value as this run found it in create_pending, or else the vault's.
            let cached = run
                .previous_version
                .as_ref()
                .and_then(|id| ctx.values.get(&VersionId(id.clone())));
            let current = match cached {
                Some(value) => Some(value),
                None => read_current(provider.as_ref(), path).await?,
            };
            guard(ctx, target.as_ref(), run, &pending)?;
            if let Some(current) = &current {
                guard(ctx, target.as_ref(), run, current)?;
            }
            target.apply(tctx, current.as_ref(), &pending).await?;
            Ok(StepDone::to(Phase::Test))
        }
        (RunKind::Rotate, Phase::Test) => {
            let provider = provider_of(ctx, run)?;
            let target = target_of(ctx, run)?;
            let pending_id = version_of(run, run.pending_version.as_ref(), "pending")?;
            let pending = required(
                ctx.values
                    .version(provider.as_ref(), path, &pending_id)
                    .await?,
                &pending_id,
                path,
            )?;
            let proof = target.test(tctx, &pending).await?;
            // A target with no external acceptor can check only the format.
            let check = if target.capabilities().login {
                "new_credential_works"
            } else {
                "format_check"
            };
            Ok(StepDone::to(Phase::Promote)
                .evidence(json!({ "check": check, "proof": proof }))
                .verified())
        }
        (RunKind::Rotate, Phase::Promote) => {
            let provider = provider_of(ctx, run)?;
            let pending_id = version_of(run, run.pending_version.as_ref(), "pending")?;
            // The value this drive staged: the provider need not read it back.
            let value = ctx.values.get(&pending_id);
            let tags: Option<BTreeMap<String, String>> = ctx
                .record
                .map(|record| BTreeMap::from([("owner".to_owned(), record.owner.clone())]));
            provider
                .promote_with(
                    path,
                    &pending_id,
                    Promotion {
                        value: value.as_ref(),
                        tags: tags.as_ref(),
                    },
                )
                .await?;
            // An exposed value must fail at once: no grace.
            let exposed = run.reasons.iter().any(|r| r == "secret_exposed");
            let grace = ctx
                .record
                .filter(|_| !exposed)
                .map_or(chrono::TimeDelta::zero(), |r| r.grace);
            let retire_at = ctx.now + grace;
            let mut done = StepDone::to(Phase::Retire).evidence(json!({
                "current_version": pending_id.0,
                "retire_after": retire_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            }));
            done.not_before = Some(retire_at);
            Ok(done)
        }
        (RunKind::Rotate, Phase::Retire) => retire::retire_previous(ctx, run, tctx).await,
        (RunKind::Rotate, Phase::Rollback) => {
            let provider = provider_of(ctx, run)?;
            if let Some(pending_id) = run.pending_version.clone().map(VersionId) {
                let meta = provider.describe(path).await?;
                let still_pending = meta
                    .versions
                    .iter()
                    .any(|v| v.id == pending_id && v.has(Stage::Pending));
                if still_pending {
                    if let Some(pending) =
                        read_version(provider.as_ref(), path, &pending_id).await?
                    {
                        let target = target_of(ctx, run)?;
                        let current = read_current(provider.as_ref(), path).await?;
                        guard(ctx, target.as_ref(), run, &pending)?;
                        target.rollback(tctx, current.as_ref(), &pending).await?;
                    }
                    provider.discard_pending(path, &pending_id).await?;
                }
            }
            Ok(StepDone::finished(RunStatus::RolledBack)
                .evidence(json!({ "discarded": run.pending_version })))
        }
        (RunKind::Revoke, Phase::DisableInTarget) => disable_in_target(ctx, run, tctx).await,
        (RunKind::Revoke, Phase::VerifyRevoked) => verify_revoked(ctx, run, tctx).await,
        (RunKind::Revoke, Phase::DisableInVault) => disable_in_vault(ctx, run).await,
        (RunKind::Narrow, Phase::Narrow) => {
            let provider = provider_of(ctx, run)?;
            let target = target_of(ctx, run)?;
            let current = provider.read(path, Stage::Current).await?;
            guard(ctx, target.as_ref(), run, &current)?;
            let report = target.narrow(tctx, &current).await?;
            Ok(StepDone::to(Phase::VerifyNarrowed).evidence(json!({ "report": report })))
        }
        (RunKind::Narrow, Phase::VerifyNarrowed) => {
            let provider = provider_of(ctx, run)?;
            let target = target_of(ctx, run)?;
            let current = provider.read(path, Stage::Current).await?;
            let held = target
                .privileges(tctx, &current)
                .await?
                .ok_or_else(|| PluginError::permanent("the target cannot report privileges"))?;
            let excess: Vec<&String> = held.iter().filter(|p| !scopes.contains(p)).collect();
            if !excess.is_empty() {
                return Err(PluginError::retryable(format!(
                    "still holds privileges beyond the approved scopes: {excess:?}"
                )));
            }
            Ok(StepDone::finished(RunStatus::Succeeded)
                .evidence(json!({ "check": "privileges_within_scopes", "held": held }))
                .verified())
        }
        (RunKind::Retire, Phase::RetireInTarget) => retire::retire_in_target(ctx, run, tctx).await,
        (RunKind::Retire, Phase::VerifyRetired) => retire::verify_retired(ctx, run, tctx).await,
        (RunKind::Retire, Phase::RetireInVault) => retire::retire_in_vault(ctx, run).await,
        (kind, phase) => Err(PluginError::permanent(format!(
            "phase {phase} does not belong to a {kind} run"
        ))),
    }
}

/// The value a revocation acts on: the current one, or `None` once the
/// vault no longer serves it (a revocation done again: the secret is
/// disabled), in which case the target acts on the logins recorded then.
async fn revoked_value(
    provider: &dyn Provider,
    path: &str,
) -> Result<Option<SecretValue>, PluginError> {
    match provider.read(path, Stage::Current).await {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::Retryable => Err(err),
        Err(err) => match provider.describe(path).await {
            Ok(meta) if !meta.enabled => Ok(None),
            Ok(_) if err.kind() == ErrorKind::NotFound => Ok(None),
            Ok(_) => Err(err),
            Err(found) if found.kind() == ErrorKind::NotFound => Ok(None),
            Err(found) => Err(found),
        },
    }
}

/// Revoke, first phase: the target refuses the credential. Its logins are
/// recorded first, so they can be checked (and disabled again) once the
/// value is gone from the vault.
async fn disable_in_target(
    ctx: &StepContext<'_>,
    run: &Run,
    tctx: TargetContext<'_>,
) -> Result<StepDone, PluginError> {
    let provider = provider_of(ctx, run)?;
    let target = target_of(ctx, run)?;
    let caps = target.capabilities();
    match revoked_value(provider.as_ref(), run.secret.path()).await? {
        Some(current) => {
            guard(ctx, target.as_ref(), run, &current)?;
            if caps.logins {
                ctx.record_logins(run, LoginRole::Revoked, &target.logins(&current)?)
                    .await?;
            }
            target.revoke(tctx, &current).await?;
            Ok(StepDone::to(Phase::VerifyRevoked))
        }
        None => {
            let logins = ctx.recorded_logins(run, LoginRole::Revoked).await?;
            if caps.logins && !logins.is_empty() {
                target.disable_logins(tctx, &logins, None).await?;
                return Ok(StepDone::to(Phase::VerifyRevoked)
                    .evidence(json!({ "current": null, "logins": logins })));
            }
            if caps.login {
                return Err(PluginError::permanent(format!(
                    "the vault no longer serves the value of {} and target {} has no logins on record for it: revoke it at the target by hand",
                    run.secret,
                    target.name()
                )));
            }
            Ok(StepDone::to(Phase::DisableInVault).evidence(json!({ "current": null })))
        }
    }
}

/// Revoke, second phase: prove the credential is refused (a fresh login
/// where the value is known) and its logins disabled (from the catalog).
async fn verify_revoked(
    ctx: &StepContext<'_>,
    run: &Run,
    tctx: TargetContext<'_>,
) -> Result<StepDone, PluginError> {
    let provider = provider_of(ctx, run)?;
    let target = target_of(ctx, run)?;
    let caps = target.capabilities();
    if !caps.login && !caps.logins {
        // Nothing outside the vault accepts it: the vault's refusal, proven
        // in the next phase, is the revocation.
        return Ok(StepDone::to(Phase::DisableInVault)
            .evidence(json!({ "check": "not_applicable", "reason": "no_external_acceptor" })));
    }
    let mut evidence = json!({ "check": "credential_refused" });
    if caps.login
        && let Some(current) = revoked_value(provider.as_ref(), run.secret.path()).await?
    {
        evidence["proof"] = json!(target.verify_revoked(tctx, &current).await?);
    }
    let logins = ctx.recorded_logins(run, LoginRole::Revoked).await?;
    if caps.logins && !logins.is_empty() {
        let (states, alive) = checks::logins_disabled(target.as_ref(), tctx, &logins, None).await?;
        if let Some(login) = alive {
            return Err(PluginError::retryable(format!(
                "the revoked login {login} can still log in"
            )));
        }
        evidence["logins"] = states;
    }
    Ok(StepDone::to(Phase::DisableInVault)
        .evidence(evidence)
        .verified())
}

/// Revoke, last phase: disable the secret in its vault (revoking the
/// record's leases first) and prove a consumer's read is refused.
async fn disable_in_vault(ctx: &StepContext<'_>, run: &Run) -> Result<StepDone, PluginError> {
    let provider = provider_of(ctx, run)?;
    let path = run.secret.path();
    let mut leases = Vec::new();
    let prefixes = ctx.record.map_or(&[][..], |r| r.leases.as_slice());
    if !prefixes.is_empty() {
        let hook = provider.leases().ok_or_else(|| {
            PluginError::unsupported(format!("provider {} has no leases", provider.name()))
        })?;
        for prefix in prefixes {
            leases.push(hook.revoke_leases(prefix).await?);
        }
    }
    match provider.revocation() {
        Some(hook) => {
            let window = ctx.record.and_then(|r| r.recovery_window);
            hook.disable_revoked(path, window).await?;
        }
        None => provider.set_enabled(path, false).await?,
    }
    let meta = provider.describe(path).await?;
    if meta.enabled {
        return Err(PluginError::retryable(
            "the vault still reports the secret enabled",
        ));
    }
    let proof = checks::vault_refuses(provider.as_ref(), path)
        .await?
        .map_err(|served| PluginError::retryable(format!("{served} after disabling it")))?;
    let acceptor = match &run.target {
        Some(_) => target_of(ctx, run)?.capabilities().login,
        None => false,
    };
    let mut evidence = json!({ "check": "vault_refuses_read", "proof": proof, "leases": leases });
    if !acceptor {
        evidence["no_external_acceptor"] = json!(true);
    }
    Ok(StepDone::finished(RunStatus::Succeeded)
        .evidence(evidence)
        .verified())
}
