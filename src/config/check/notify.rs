//! `[notify]`: the owners' webhook, how early they hear of an expiry, and delivery attempts.

use std::path::Path;
use std::time::Duration;

use super::Checker;
use crate::config::NotifyConfig;
use crate::config::document::Located;
use crate::config::raw::RawNotify;

/// Checks `[notify]`; a relative file source resolves against `base`.
pub fn check_notify(
    check: &mut Checker<'_>,
    located: Located<RawNotify>,
    base: &Path,
) -> NotifyConfig {
    let raw = located.value;
    let max_attempts = raw
        .max_attempts
        .and_then(|n| check.in_range(located.file, &n, "notify.max_attempts", 1..=20))
        .unwrap_or(5);
    let mut url = raw.url;
    url.rebase(base);
    NotifyConfig {
        url,
        upcoming_within: raw
            .upcoming_within
            .map_or(Duration::from_secs(7 * 86_400), |d| d.0),
        max_attempts,
    }
}
