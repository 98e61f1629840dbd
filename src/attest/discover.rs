//! Discovery: the accounts a target holds that no governed secret names
//! (access no record approves). Opt-in per target with `discover = {
//! include, exclude }`; the admin's own account and the system's are never
//! listed by the targets.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use tenure_plugin_api::{PluginError, SecretAddress, Target, TargetContext};

use crate::config::DiscoverConfig;
use crate::state::{AttestationRow, LoginsRow};
use crate::workflow::logins_disabled;

/// An account found on a target that no governed secret names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// The target.
    pub target: String,
    /// The login, as the target names it.
    pub login: String,
}

/// Every login a governed secret names on each target: the logins its
/// latest attestation read from the current value, and those its
/// revocation or retirement recorded. `target_of` maps an address to its
/// record's target.
pub fn governed_logins(
    attestations: &HashMap<String, AttestationRow>,
    recorded: &[LoginsRow],
    target_of: impl Fn(&SecretAddress) -> Option<String>,
) -> HashMap<String, BTreeSet<String>> {
    let mut governed: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut add = |secret: &str, names: &mut dyn Iterator<Item = String>| {
        let Some(target) = secret.parse().ok().as_ref().and_then(&target_of) else {
            return;
        };
        governed.entry(target).or_default().extend(names);
    };
    for row in attestations.values() {
        let logins: Vec<String> = row
            .detail
            .get("logins")
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        add(&row.secret, &mut logins.into_iter());
    }
    for row in recorded {
        add(&row.secret, &mut row.names.iter().cloned());
    }
    governed
}

/// The accounts of `target` that `discover` selects and no governed secret
/// names, sorted.
pub async fn discover(
    target: &dyn Target,
    discover: &DiscoverConfig,
    governed: Option<&BTreeSet<String>>,
) -> Result<Vec<Discovered>, PluginError> {
    let listed = target.list_logins().await?;
    Ok(listed
        .into_iter()
        .filter(|login| discover.selects(login))
        .filter(|login| governed.is_none_or(|g| !g.contains(login)))
        .map(|login| Discovered {
            target: target.name().to_owned(),
            login,
        })
        .collect())
}

/// Disables an unmanaged account and proves it: the same catalog proof as a
/// revocation (its value is unknown, so there is no login to try).
pub async fn disable(
    target: &dyn Target,
    ctx: TargetContext<'_>,
    login: &str,
) -> Result<Value, PluginError> {
    let logins = [login.to_owned()];
    target.disable_logins(ctx, &logins, None).await?;
    match logins_disabled(target, ctx, &logins, None).await? {
        (states, None) => Ok(json!({ "check": "logins_disabled", "logins": states })),
        (_, Some(alive)) => Err(PluginError::retryable(format!(
            "{alive} can still log in after it was disabled"
        ))),
    }
}
