//! Backoff delays: exponential with jitter, capped (computed by `backon`).

use std::time::Duration;

use backon::BackoffBuilder;

use crate::config::RetryPolicy;

/// The delay before retry number `attempt` (1-based).
pub fn delay(policy: &RetryPolicy, attempt: u32) -> Duration {
    let attempt = usize::try_from(attempt.max(1)).unwrap_or(usize::MAX);
    backon::ExponentialBuilder::default()
        .with_min_delay(policy.initial_backoff)
        .with_max_delay(policy.max_backoff)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt - 1)
        .unwrap_or(policy.max_backoff)
        .min(policy.max_backoff.saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_bounded_jitter() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            quarantine_after: 3,
        };
        for _ in 0..50 {
            let first = delay(&policy, 1);
            assert!(
                first >= Duration::from_secs(1) && first < Duration::from_secs(2),
                "{first:?}"
            );
            let fourth = delay(&policy, 4);
            assert!(
                fourth >= Duration::from_secs(8) && fourth < Duration::from_secs(16),
                "{fourth:?}"
            );
            let late = delay(&policy, 30);
            assert!(
                late >= Duration::from_secs(60) && late <= Duration::from_secs(120),
                "{late:?}"
            );
        }
    }
}
