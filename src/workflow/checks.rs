//! Read-only checks shared by the workflows (which record them as proof
//! once they act) and by attestation (which makes them again and again):
//! whether logins are disabled, whether a credential is refused, whether
//! the vault still serves a value it should not. Each returns the evidence
//! of what was really checked, or says why the check failed; an error of
//! the plugin means the check could not be made.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use tenure_plugin_api::{
    ConsumerRead, ErrorKind, LoginOutcome, PluginError, Provider, SecretMetadata, SecretValue,
    Stage, Target, TargetContext, VersionId, VersionInfo,
};

/// Whether the target still accepts a credential, by a fresh login.
pub enum Login {
    /// Accepted: the proof of the login.
    Accepted(Value),
    /// Refused: the proof of the refusal.
    Refused(Value),
}

/// Tries `value` with a fresh login at the target.
pub async fn login(
    target: &dyn Target,
    ctx: TargetContext<'_>,
    value: &SecretValue,
) -> Result<Login, PluginError> {
    Ok(match target.try_login(ctx, value).await? {
        LoginOutcome::Accepted(proof) => Login::Accepted(json!(proof)),
        LoginOutcome::Refused(proof) => Login::Refused(json!(proof)),
    })
}

/// The states of `logins` (with `except` kept), and the first one that can
/// still authenticate, if any.
pub async fn logins_disabled(
    target: &dyn Target,
    ctx: TargetContext<'_>,
    logins: &[String],
    except: Option<&SecretValue>,
) -> Result<(Value, Option<String>), PluginError> {
    let states = target.login_states(ctx, logins, except).await?;
    let alive = states
        .iter()
        .find(|s| s.enabled)
        .map(|s| format!("{} ({})", s.login, s.detail));
    Ok((json!(states), alive))
}

/// Proves `version` is no longer served, after it was retired: unreadable
/// where the provider can destroy or disable one version, and without a
/// stage where it cannot (AWS Secrets Manager). `Err` with a retryable
/// error when the vault still serves it.
pub async fn version_unreadable(
    provider: &dyn Provider,
    path: &str,
    version: &VersionId,
) -> Result<Value, PluginError> {
    if !provider.capabilities().destroy_versions {
        let meta = provider.describe(path).await?;
        return match meta.versions.iter().find(|v| &v.id == version) {
            Some(v) if !v.stages.is_empty() => Err(PluginError::retryable(format!(
                "version {version} still carries a stage"
            ))),
            _ => Ok(json!({
                "method": "vault_stages",
                "detail": format!(
                    "version {version} carries no stage (deprecated); this vault cannot destroy a single version and removes deprecated ones itself"
                ),
            })),
        };
    }
    match provider.read_version(path, version).await {
        Ok(_) => Err(PluginError::retryable(format!(
            "the vault still serves version {version}"
        ))),
        Err(err) if err.kind() == ErrorKind::Retryable => Err(err),
        Err(err) => Ok(json!({
            "method": "vault_read_version",
            "detail": format!("a read of version {version} was refused ({})", err.kind()),
        })),
    }
}

/// Proves a disabled secret refuses a consumer's read of its current value.
/// `Ok(Err(..))`: the vault serves it.
pub async fn vault_refuses(
    provider: &dyn Provider,
    path: &str,
) -> Result<Result<Value, String>, PluginError> {
    Ok(match provider.consumer_read(path).await? {
        ConsumerRead::Refused(detail) => Ok(json!({ "method": "vault_read", "detail": detail })),
        ConsumerRead::Served => Err("the vault serves the current value".to_owned()),
    })
}

/// The versions that hold a value the vault should no longer serve: readable
/// and neither current nor pending, nor previous within `grace` of the
/// current version's creation (consumers may still hold it then).
pub fn stale_versions(
    meta: &SecretMetadata,
    grace: TimeDelta,
    now: DateTime<Utc>,
) -> Vec<&VersionInfo> {
    let grace_ends = meta
        .current_created_at()
        .map(|created| created + grace)
        .filter(|_| meta.enabled);
    meta.versions
        .iter()
        .filter(|v| v.readable)
        .filter(|v| !v.has(Stage::Current) && !v.has(Stage::Pending))
        .filter(|v| !(v.has(Stage::Previous) && grace_ends.is_some_and(|end| now < end)))
        .collect()
}
