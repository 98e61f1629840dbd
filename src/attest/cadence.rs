//! When a secret is due for attestation: spread over its interval by a
//! stable per-secret offset (the scheduler's jitter), so 10,000 secrets
//! attested hourly make a steady trickle, not a storm on the hour.
//!
//! A secret's slots are `epoch + offset + k * every`. Once attested, it is
//! due at the first slot after half an interval has passed, so the gap
//! between two attestations stays between half and one and a half
//! intervals and a secret first attested off its slot settles onto it. A
//! secret never attested is due at once.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tenure_plugin_api::SecretAddress;

use crate::scheduler::stable_offset;

/// When `secret`, last attested at `last`, is next due under `every`.
pub fn next_due(
    secret: &SecretAddress,
    every: Duration,
    last: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let Some(last) = last else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let period = TimeDelta::from_std(every).unwrap_or(TimeDelta::MAX);
    let period_ms = period.num_milliseconds().max(1);
    let offset = stable_offset(secret, every).num_milliseconds();
    let earliest = last + period / 2;
    // The first slot at or after `earliest`.
    let since = earliest.timestamp_millis() - offset;
    let slots = since.div_euclid(period_ms) + i64::from(since.rem_euclid(period_ms) != 0);
    DateTime::<Utc>::from_timestamp_millis(slots * period_ms + offset).unwrap_or(earliest)
}

/// Whether `secret` is due at `now`.
pub fn is_due(
    secret: &SecretAddress,
    every: Duration,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    next_due(secret, every, last) <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(n: usize) -> SecretAddress {
        format!("local:app/{n}").parse().expect("address")
    }

    #[test]
    fn never_attested_is_due_now() {
        assert!(is_due(
            &address(1),
            Duration::from_secs(3600),
            None,
            Utc::now()
        ));
    }

    #[test]
    fn the_gap_stays_between_half_and_one_and_a_half_intervals() {
        let every = Duration::from_secs(3600);
        let start = Utc::now();
        for n in 0..200 {
            let secret = address(n);
            let due = next_due(&secret, every, Some(start));
            let gap = due - start;
            assert!(gap >= TimeDelta::minutes(30), "{n}: {gap}");
            assert!(gap <= TimeDelta::minutes(90), "{n}: {gap}");
            // Stable: the next one is exactly one interval later.
            assert_eq!(
                next_due(&secret, every, Some(due)) - due,
                TimeDelta::hours(1)
            );
        }
    }

    #[test]
    fn many_secrets_spread_over_the_interval() {
        let every = Duration::from_secs(3600);
        let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        let mut per_quarter = [0usize; 4];
        for n in 0..4000 {
            let due = next_due(&address(n), every, Some(start));
            let minute = ((due - start).num_minutes() - 30).clamp(0, 59);
            per_quarter[usize::try_from(minute / 15).unwrap_or(3)] += 1;
        }
        for count in per_quarter {
            assert!((800..1200).contains(&count), "{per_quarter:?}");
        }
    }
}
