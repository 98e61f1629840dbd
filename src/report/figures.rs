//! The measured figures of one control: time to revoke (each cause with its
//! status against the control's `revoke_within`, and percentiles of the
//! proven ones) and rotations on time vs late.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::revocations::Revocation;
use super::rotations::Rotation;

/// One cause, judged against the control's limit.
#[derive(Debug, Clone, Serialize)]
pub struct RevocationRow {
    /// The cause and its proof.
    #[serde(flatten)]
    pub revocation: Revocation,
    /// met or late (proven within the limit or after it), proven (no
    /// limit), open (no proof yet: never met).
    pub status: &'static str,
    /// For an open one: seconds since it was caused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_for_seconds: Option<i64>,
}

/// Time from cause to proven revocation.
#[derive(Debug, Clone, Serialize)]
pub struct TimeToRevoke {
    /// The control's limit, if it sets one.
    pub revoke_within: Option<String>,
    /// Each cause in the window.
    pub events: Vec<RevocationRow>,
    /// How many were proven.
    pub proven: usize,
    /// How many have no proof yet.
    pub open: usize,
    /// Proven within the limit.
    pub met: usize,
    /// Proven after the limit.
    pub late: usize,
    /// Open for longer than the limit already.
    pub open_past_limit: usize,
    /// Percentiles of the proven ones' seconds (nearest rank); none without any.
    pub p50_seconds: Option<i64>,
    /// 90th percentile.
    pub p90_seconds: Option<i64>,
    /// 99th percentile.
    pub p99_seconds: Option<i64>,
    /// The longest.
    pub max_seconds: Option<i64>,
}

/// The nearest-rank `q` percentile (0 < q <= 1) of `sorted`.
pub fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// Judges `causes` against `limit` at `now`.
pub fn time_to_revoke(
    causes: Vec<Revocation>,
    limit: Option<Duration>,
    now: DateTime<Utc>,
) -> TimeToRevoke {
    let limit_secs = limit.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let events: Vec<RevocationRow> = causes
        .into_iter()
        .map(|revocation| {
            let (status, open_for) = match (revocation.seconds, limit_secs) {
                (Some(s), Some(l)) => (if s <= l { "met" } else { "late" }, None),
                (Some(_), None) => ("proven", None),
                (None, _) => ("open", Some((now - revocation.at).num_seconds().max(0))),
            };
            RevocationRow {
                revocation,
                status,
                open_for_seconds: open_for,
            }
        })
        .collect();
    let mut proven: Vec<i64> = events.iter().filter_map(|e| e.revocation.seconds).collect();
    proven.sort_unstable();
    let count = |status: &str| events.iter().filter(|e| e.status == status).count();
    let open_past_limit = events
        .iter()
        .filter(|e| matches!((e.open_for_seconds, limit_secs), (Some(o), Some(l)) if o > l))
        .count();
    TimeToRevoke {
        revoke_within: limit.map(|d| humantime::format_duration(d).to_string()),
        proven: proven.len(),
        open: count("open"),
        met: count("met"),
        late: count("late"),
        open_past_limit,
        p50_seconds: percentile(&proven, 0.50),
        p90_seconds: percentile(&proven, 0.90),
        p99_seconds: percentile(&proven, 0.99),
        max_seconds: proven.last().copied(),
        events,
    }
}

/// Rotations on time vs late.
#[derive(Debug, Clone, Serialize)]
pub struct Rotations {
    /// Each rotation started in the window.
    pub rotations: Vec<Rotation>,
    /// Completed by the due time.
    pub on_time: usize,
    /// Completed after it.
    pub late: usize,
    /// Started, never promoted.
    pub incomplete: usize,
    /// Their record sets neither max_age nor schedule.
    pub no_due_time: usize,
    /// The replaced version's age is unknown: not counted on time.
    pub unavailable: usize,
}

/// Counts `rotations` by status.
pub fn rotations(rotations: Vec<Rotation>) -> Rotations {
    let count = |status: &str| rotations.iter().filter(|r| r.status == status).count();
    Rotations {
        on_time: count("on_time"),
        late: count("late"),
        incomplete: count("incomplete"),
        no_due_time: count("no_due_time"),
        unavailable: count("unavailable"),
        rotations,
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&values, 0.5), Some(5));
        assert_eq!(percentile(&values, 0.9), Some(9));
        assert_eq!(percentile(&values, 0.99), Some(10));
        assert_eq!(percentile(&[7], 0.5), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
