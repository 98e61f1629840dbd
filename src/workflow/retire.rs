//! Retirement, with proof: the last phase of a rotation (the previous
//! credential stops working once its grace period ends), and the retire run
//! that attestation asks for when a retired credential works again or the
//! vault still serves a retired value.
//!
//! Every retirement records the logins it disabled (so attestation can
//! check them once the value is gone from the vault), proves the retired
//! credential is refused where the target has a login, proves the logins
//! disabled, and proves the vault no longer serves the value.

use serde_json::{Value, json};
use tenure_plugin_api::{PluginError, SecretValue, Stage, Target, TargetContext, VersionId};

use super::checks::{self, Login};
use super::context::{StepContext, StepDone, guard, provider_of, target_of};
use crate::state::{LoginRole, Phase, Run, RunStatus};

/// The grace a previous version keeps: the record's.
fn grace(ctx: &StepContext<'_>) -> chrono::TimeDelta {
    ctx.record.map_or(chrono::TimeDelta::zero(), |r| r.grace)
}

/// Proves `logins` accept no credential but `current`; a retryable error
/// names the first that still does.
async fn prove_logins_retired(
    target: &dyn Target,
    tctx: TargetContext<'_>,
    logins: &[String],
    current: &SecretValue,
) -> Result<Value, PluginError> {
    let (states, alive) = checks::logins_disabled(target, tctx, logins, Some(current)).await?;
    match alive {
        Some(login) => Err(PluginError::retryable(format!(
            "the retired login {login} can still log in"
        ))),
        None => Ok(states),
    }
}

/// The rotation's last phase: the previous credential stops working.
pub async fn retire_previous(
    ctx: &StepContext<'_>,
    run: &Run,
    tctx: TargetContext<'_>,
) -> Result<StepDone, PluginError> {
    let path = run.secret.path();
    let provider = provider_of(ctx, run)?;
    let Some(previous_id) = run.previous_version.clone().map(VersionId) else {
        return Ok(StepDone::finished(RunStatus::Succeeded).evidence(json!({ "retired": null })));
    };
    let mut evidence = json!({ "retired": previous_id.0 });
    let previous = ctx
        .values
        .version(provider.as_ref(), path, &previous_id)
        .await?;
    if let Some(target) = run
        .target
        .is_some()
        .then(|| target_of(ctx, run))
        .transpose()?
    {
        // Promoted by this drive: the current value is the pending one.
        let promoted = run
            .pending_version
            .as_ref()
            .and_then(|id| ctx.values.get(&VersionId(id.clone())));
        let current = match promoted {
            Some(value) => value,
            None => provider.read(path, Stage::Current).await?,
        };
        let caps = target.capabilities();
        guard(ctx, target.as_ref(), run, &current)?;
        if let Some(previous) = &previous {
            guard(ctx, target.as_ref(), run, previous)?;
        }
        let logins = match (&previous, caps.logins) {
            (Some(previous), true) => {
                let logins = target.retired_logins(previous, &current)?;
                ctx.record_logins(run, LoginRole::Retired, &logins).await?;
                logins
            }
            _ => ctx.recorded_logins(run, LoginRole::Retired).await?,
        };
        match (&previous, caps.login) {
            (Some(previous), true) => {
                target.retire(tctx, previous, &current).await?;
                // Ok means refused; it waits out an eventually consistent target.
                let proof = target.verify_revoked(tctx, previous).await?;
                evidence["check"] = json!("retired_credential_refused");
                evidence["proof"] = json!(proof);
            }
            (Some(previous), false) => {
                target.retire(tctx, previous, &current).await?;
                evidence["check"] = json!("vault_refuses_read");
                evidence["no_external_acceptor"] = json!(true);
            }
            (None, _) => {
                // Destroyed in the vault by an earlier attempt of this phase.
                evidence["previous_value"] = json!("already gone from the vault");
            }
        }
        if !logins.is_empty() {
            evidence["logins"] =
                prove_logins_retired(target.as_ref(), tctx, &logins, &current).await?;
        }
    }
    provider.retire(path, &previous_id).await?;
    evidence["vault"] = checks::version_unreadable(provider.as_ref(), path, &previous_id).await?;
    Ok(StepDone::finished(RunStatus::Succeeded)
        .evidence(evidence)
        .verified())
}

/// The stale versions of `run`'s secret, with their values where the vault
/// still serves them (by id).
async fn stale_values(
    ctx: &StepContext<'_>,
    run: &Run,
) -> Result<(bool, Vec<(VersionId, Option<SecretValue>)>), PluginError> {
    let path = run.secret.path();
    let provider = provider_of(ctx, run)?;
    let meta = provider.describe(path).await?;
    let mut stale = Vec::new();
    for version in checks::stale_versions(&meta, grace(ctx), ctx.now) {
        let value = match provider.read_version(path, &version.id).await {
            Ok(value) => Some(value),
            Err(err) if err.kind() == tenure_plugin_api::ErrorKind::Retryable => return Err(err),
            Err(_) => None,
        };
        stale.push((version.id.clone(), value));
    }
    Ok((meta.enabled, stale))
}

/// Retire run, first phase: retired logins accept the current credential
/// only, and a retired value the target still accepts is retired again.
pub async fn retire_in_target(
    ctx: &StepContext<'_>,
    run: &Run,
    tctx: TargetContext<'_>,
) -> Result<StepDone, PluginError> {
    let (enabled, stale) = stale_values(ctx, run).await?;
    let target = run
        .target
        .is_some()
        .then(|| target_of(ctx, run))
        .transpose()?;
    let Some(target) = target.filter(|_| enabled) else {
        // A revoked secret's logins are the revocation's (revoke again);
        // only the vault is left to clean.
        return Ok(StepDone::to(Phase::RetireInVault).evidence(json!({ "target": null })));
    };
    let provider = provider_of(ctx, run)?;
    let current = provider.read(run.secret.path(), Stage::Current).await?;
    let caps = target.capabilities();
    guard(ctx, target.as_ref(), run, &current)?;
    let logins = ctx.recorded_logins(run, LoginRole::Retired).await?;
    if caps.logins && !logins.is_empty() {
        target.disable_logins(tctx, &logins, Some(&current)).await?;
    }
    let mut retired = Vec::new();
    if caps.login {
        for (id, value) in &stale {
            // An old value naming an account the record does not approve
            // is left to the vault side: nothing is done in the target.
            if let Some(value) = value
                && guard(ctx, target.as_ref(), run, value).is_ok()
                && matches!(
                    checks::login(target.as_ref(), tctx, value).await?,
                    Login::Accepted(_)
                )
            {
                target.retire(tctx, value, &current).await?;
                retired.push(id.0.clone());
            }
        }
    }
    Ok(StepDone::to(Phase::VerifyRetired)
        .evidence(json!({ "logins": logins, "retired_in_target": retired })))
}

/// Retire run, second phase: prove every retired login and every retired
/// value still in the vault is refused.
pub async fn verify_retired(
    ctx: &StepContext<'_>,
    run: &Run,
    tctx: TargetContext<'_>,
) -> Result<StepDone, PluginError> {
    let target = target_of(ctx, run)?;
    let caps = target.capabilities();
    if !caps.login && !caps.logins {
        // Nothing outside the vault accepts it: the vault's refusal, proven
        // in the next phase, is the retirement.
        return Ok(StepDone::to(Phase::RetireInVault)
            .evidence(json!({ "check": "not_applicable", "reason": "no_external_acceptor" })));
    }
    let (_, stale) = stale_values(ctx, run).await?;
    let provider = provider_of(ctx, run)?;
    let current = provider.read(run.secret.path(), Stage::Current).await?;
    let mut evidence = json!({ "check": "retired_credential_refused" });
    let logins = ctx.recorded_logins(run, LoginRole::Retired).await?;
    if caps.logins && !logins.is_empty() {
        evidence["logins"] = prove_logins_retired(target.as_ref(), tctx, &logins, &current).await?;
    }
    let mut proofs = serde_json::Map::new();
    if caps.login {
        for (id, value) in &stale {
            let Some(value) = value else { continue };
            match checks::login(target.as_ref(), tctx, value).await? {
                Login::Refused(proof) => {
                    proofs.insert(id.0.clone(), proof);
                }
                Login::Accepted(_) => {
                    return Err(PluginError::retryable(format!(
                        "the retired value of version {id} still logs in"
                    )));
                }
            }
        }
    }
    evidence["versions"] = Value::Object(proofs);
    Ok(StepDone::to(Phase::RetireInVault)
        .evidence(evidence)
        .verified())
}

/// Retire run, last phase: the vault stops serving every retired value.
pub async fn retire_in_vault(ctx: &StepContext<'_>, run: &Run) -> Result<StepDone, PluginError> {
    let path = run.secret.path();
    let provider = provider_of(ctx, run)?;
    let (_, stale) = stale_values(ctx, run).await?;
    let mut proofs = serde_json::Map::new();
    for (id, _) in &stale {
        provider.retire(path, id).await?;
        proofs.insert(
            id.0.clone(),
            checks::version_unreadable(provider.as_ref(), path, id).await?,
        );
    }
    Ok(StepDone::finished(RunStatus::Succeeded)
        .evidence(json!({ "check": "vault_refuses_read", "versions": proofs }))
        .verified())
}
