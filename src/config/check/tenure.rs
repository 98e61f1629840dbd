//! `[tenure]`: where state and the audit trail live, and the service's pace.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tenure_plugin_api::SecretSource;

use super::Checker;
use crate::config::diagnostics::resolve;
use crate::config::document::Located;
use crate::config::raw::RawTenure;

/// The checked `[tenure]` section, defaults filled in and paths resolved.
pub struct TenureSettings {
    /// See [`Config::state_dir`](crate::config::Config::state_dir).
    pub state_dir: PathBuf,
    /// See [`Config::state_url`](crate::config::Config::state_url).
    pub state_url: Option<SecretSource>,
    /// See [`Config::audit_log`](crate::config::Config::audit_log).
    pub audit_log: PathBuf,
    /// See [`Config::audit_key`](crate::config::Config::audit_key).
    pub audit_key: SecretSource,
    /// See [`Config::reconcile_interval`](crate::config::Config::reconcile_interval).
    pub reconcile_interval: Duration,
    /// See [`Config::lease_ttl`](crate::config::Config::lease_ttl).
    pub lease_ttl: Duration,
    /// See [`Config::attest_retention`](crate::config::Config::attest_retention).
    pub attest_retention: Duration,
    /// See [`Config::concurrency`](crate::config::Config::concurrency).
    pub concurrency: usize,
}

fn rebased(mut source: SecretSource, base: &Path) -> SecretSource {
    source.rebase(base);
    source
}

/// Checks `[tenure]` (absent: all defaults); relative paths resolve against `base`.
pub fn check_tenure(
    check: &mut Checker<'_>,
    raw: Option<Located<RawTenure>>,
    base: &Path,
) -> TenureSettings {
    let tenure = raw.map(|t| t.value).unwrap_or_default();
    let state_dir = resolve(base, &tenure.state_dir.unwrap_or_else(|| ".tenure".into()));
    let audit_log = tenure
        .audit_log
        .map_or_else(|| state_dir.join("audit.jsonl"), |p| resolve(base, &p));
    let audit_key = tenure.audit_key.map_or_else(
        || SecretSource::File(state_dir.join("audit.key")),
        |key| rebased(key, base),
    );
    let concurrency = match tenure.concurrency {
        // `[tenure]` is only read from the main file.
        Some(c) => check
            .in_range(0, &c, "tenure.concurrency", 1..=256)
            .unwrap_or(1),
        None => 4,
    };
    TenureSettings {
        state_url: tenure.state_url.map(|url| rebased(url, base)),
        state_dir,
        audit_log,
        audit_key,
        reconcile_interval: tenure
            .reconcile_interval
            .map_or(Duration::from_secs(300), |d| d.0),
        lease_ttl: tenure.lease_ttl.map_or(Duration::from_secs(60), |d| d.0),
        attest_retention: tenure
            .attest_retention
            .map_or(Duration::from_secs(90 * 86_400), |d| d.0),
        concurrency,
    }
}
