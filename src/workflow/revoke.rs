//! Revocation, with proof: the target refuses the credential, the refusal
//! is proven (a fresh login where the value is known, the catalog for its
//! logins), then the vault disables the secret (revoking the record's
//! leases first) and a consumer's read is proven refused.

use serde_json::json;
use tenure_plugin_api::{ErrorKind, PluginError, Provider, SecretValue, Stage, TargetContext};

use super::checks;
use super::context::{StepContext, StepDone, guard, provider_of, target_of};
use crate::state::{LoginRole, Phase, Run, RunStatus};

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
pub(super) async fn disable_in_target(
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
pub(super) async fn verify_revoked(
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
pub(super) async fn disable_in_vault(
    ctx: &StepContext<'_>,
    run: &Run,
) -> Result<StepDone, PluginError> {
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
