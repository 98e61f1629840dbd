//! `[retry]`: how failed workflow steps are retried and when a secret is quarantined.

use serde_spanned::Spanned;

use super::Checker;
use crate::config::RetryPolicy;
use crate::config::document::Located;
use crate::config::raw::RawRetry;

/// `count`, reported at `key` when it is 0.
fn at_least_one(
    check: &mut Checker<'_>,
    at: &Located<RawRetry>,
    count: &Spanned<u32>,
    key: &str,
) -> u32 {
    if *count.get_ref() == 0 {
        check.report(at, Some(count.span()), key, "must be at least 1");
    }
    *count.get_ref()
}

/// Checks `[retry]`; unset keys keep [`RetryPolicy::default`].
pub fn check_retry(check: &mut Checker<'_>, raw: &Located<RawRetry>) -> RetryPolicy {
    let mut retry = RetryPolicy::default();
    if let Some(max) = &raw.value.max_attempts {
        retry.max_attempts = at_least_one(check, raw, max, "retry.max_attempts");
    }
    if let Some(after) = &raw.value.quarantine_after {
        retry.quarantine_after = at_least_one(check, raw, after, "retry.quarantine_after");
    }
    if let Some(d) = raw.value.initial_backoff {
        retry.initial_backoff = d.0;
    }
    if let Some(d) = raw.value.max_backoff {
        retry.max_backoff = d.0;
    }
    if retry.initial_backoff > retry.max_backoff {
        check.report(
            raw,
            None,
            "retry",
            "initial_backoff must not be longer than max_backoff",
        );
    }
    retry
}
