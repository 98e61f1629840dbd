//! The side effect of each phase of a rotation and a narrowing, and the
//! dispatch of every phase to its step (revocation in `revoke`, retirement
//! in `retire`). Every step is idempotent: it may run again after a crash,
//! and finds the work already done.

use std::collections::BTreeMap;

use serde_json::json;
use tenure_plugin_api::{PluginError, Promotion, Stage, TargetContext, VersionId, stamp};

use super::context::{
    StepContext, StepDone, guard, pending_value, provider_of, read_current, read_version,
    target_of, version_of,
};
use super::{retire, revoke};
use crate::state::{Phase, Run, RunKind, RunStatus};

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
            annotations.insert("rotated_at".to_owned(), stamp(ctx.now));
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
            let pending = pending_value(ctx, run, provider.as_ref()).await?;
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
            let pending = pending_value(ctx, run, provider.as_ref()).await?;
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
                "retire_after": stamp(retire_at),
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
        (RunKind::Revoke, Phase::DisableInTarget) => {
            revoke::disable_in_target(ctx, run, tctx).await
        }
        (RunKind::Revoke, Phase::VerifyRevoked) => revoke::verify_revoked(ctx, run, tctx).await,
        (RunKind::Revoke, Phase::DisableInVault) => revoke::disable_in_vault(ctx, run).await,
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
