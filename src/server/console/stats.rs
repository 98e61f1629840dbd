//! What the overview counts from the audit trail (pure, tested on
//! entries): rotations and revocations per day, and how long each
//! revocation took, from the first decision to revoke (or the run's start
//! when that decision is older than the window) to the proof that closed
//! the run.
//!
//! A rotation is a `phase` entry `promote` with result `ok`; a revocation
//! is the entry that ends a `revoke` run (`next` = `done`, result `ok`),
//! whose last step is the proof that the vault refuses the secret.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde_json::Value;

use crate::audit::TrailEntry;

/// The buckets of the time-to-revoke distribution: upper bound (seconds)
/// and label; the last is open.
pub const BUCKETS: [(i64, &str); 7] = [
    (1, "<1s"),
    (10, "<10s"),
    (60, "<1m"),
    (600, "<10m"),
    (3600, "<1h"),
    (86_400, "<1d"),
    (i64::MAX, "≥1d"),
];

/// The trail's figures over a window of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailStats {
    /// The days of the window, oldest first.
    pub days: Vec<NaiveDate>,
    /// Rotations promoted per day.
    pub rotations: Vec<u64>,
    /// Revocations proven per day.
    pub revocations: Vec<u64>,
    /// Seconds from the decision to revoke to the proof, per revocation.
    pub time_to_revoke: Vec<i64>,
}

impl TrailStats {
    /// How many revocations fall into each of [`BUCKETS`].
    pub fn distribution(&self) -> Vec<u64> {
        let mut counts = vec![0; BUCKETS.len()];
        for &seconds in &self.time_to_revoke {
            let bucket = BUCKETS
                .iter()
                .position(|(bound, _)| seconds < *bound)
                .unwrap_or(BUCKETS.len() - 1);
            counts[bucket] += 1;
        }
        counts
    }

    /// The `p`th percentile of the times to revoke (seconds), if any.
    pub fn percentile(&self, p: usize) -> Option<i64> {
        let mut sorted = self.time_to_revoke.clone();
        sorted.sort_unstable();
        let last = sorted.len().checked_sub(1)?;
        sorted.get((p * last).div_ceil(100)).copied()
    }
}

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

/// The figures of `entries` (in trail order) over the `days` days up to `now`.
pub fn of(entries: &[TrailEntry], now: DateTime<Utc>, days: u64) -> TrailStats {
    let today = now.date_naive();
    let first = today
        .checked_sub_days(Days::new(days.saturating_sub(1)))
        .unwrap_or(today);
    let window: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= today).collect();
    let mut rotations = vec![0; window.len()];
    let mut revocations = vec![0; window.len()];
    let mut time_to_revoke = Vec::new();
    let mut actions: HashMap<&str, (&str, DateTime<Utc>)> = HashMap::new();
    let mut decided: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let slot = |ts: DateTime<Utc>| {
        let day = ts.date_naive();
        window.iter().position(|d| *d == day)
    };
    for entry in entries {
        let data = &entry.data;
        let secret = entry.secret.as_deref().unwrap_or_default();
        match entry.kind.as_str() {
            "decision" if text(data, "decision") == Some("revoke") => {
                decided.entry(secret).or_insert(entry.ts);
            }
            "run_started" => {
                if let (Some(run), Some(action)) = (entry.run.as_deref(), text(data, "action")) {
                    actions.insert(run, (action, entry.ts));
                }
            }
            _ => {}
        }
        if text(data, "result") != Some("ok") {
            continue;
        }
        if entry.kind == "phase" && text(data, "phase") == Some("promote") {
            if let Some(i) = slot(entry.ts) {
                rotations[i] += 1;
            }
            continue;
        }
        let run = entry.run.as_deref().and_then(|run| actions.get(run));
        if let Some((action, started)) = run
            && *action == "revoke"
            && text(data, "next") == Some("done")
        {
            if let Some(i) = slot(entry.ts) {
                revocations[i] += 1;
            }
            let from = decided.remove(secret).unwrap_or(*started).min(*started);
            time_to_revoke.push((entry.ts - from).num_seconds().max(0));
        }
    }
    TrailStats {
        days: window,
        rotations,
        revocations,
        time_to_revoke,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(
        seq: u64,
        at: &str,
        kind: &str,
        secret: &str,
        run: Option<&str>,
        data: Value,
    ) -> TrailEntry {
        TrailEntry {
            seq,
            ts: at.parse().expect("time"),
            kind: kind.to_owned(),
            secret: Some(secret.to_owned()),
            run: run.map(str::to_owned),
            data,
            hash: String::new(),
            line: Value::Null,
        }
    }

    #[test]
    fn rotations_revocations_and_the_time_each_revocation_took() {
        let entries = [
            entry(
                1,
                "2026-11-29T10:00:00Z",
                "decision",
                "local:a",
                None,
                json!({"decision": "revoke"}),
            ),
            entry(
                2,
                "2026-11-29T10:00:05Z",
                "decision",
                "local:a",
                None,
                json!({"decision": "revoke"}),
            ),
            entry(
                3,
                "2026-11-30T09:00:00Z",
                "run_started",
                "local:a",
                Some("r1"),
                json!({"action": "revoke"}),
            ),
            entry(
                4,
                "2026-11-30T09:00:01Z",
                "phase",
                "local:a",
                Some("r1"),
                json!({"phase": "disable_in_target", "result": "ok", "next": "verify_revoked"}),
            ),
            entry(
                5,
                "2026-11-30T10:00:00Z",
                "verification",
                "local:a",
                Some("r1"),
                json!({"phase": "disable_in_vault", "result": "ok", "next": "done"}),
            ),
            entry(
                6,
                "2026-12-01T08:00:00Z",
                "run_started",
                "local:b",
                Some("r2"),
                json!({"action": "rotate"}),
            ),
            entry(
                7,
                "2026-12-01T08:00:02Z",
                "phase",
                "local:b",
                Some("r2"),
                json!({"phase": "promote", "result": "ok", "next": "retire"}),
            ),
            entry(
                8,
                "2026-12-01T08:01:00Z",
                "phase",
                "local:b",
                Some("r2"),
                json!({"phase": "retire", "result": "ok", "next": "done"}),
            ),
            entry(
                9,
                "2026-12-01T09:00:00Z",
                "run_started",
                "local:c",
                Some("r3"),
                json!({"action": "revoke"}),
            ),
            entry(
                10,
                "2026-12-01T09:00:03Z",
                "verification",
                "local:c",
                Some("r3"),
                json!({"result": "ok", "next": "done"}),
            ),
            entry(
                11,
                "2026-12-01T09:10:00Z",
                "phase",
                "local:d",
                Some("r4"),
                json!({"phase": "promote", "result": "failed"}),
            ),
        ];
        let stats = of(&entries, "2026-12-01T12:00:00Z".parse().expect("now"), 3);
        assert_eq!(stats.days.len(), 3);
        assert_eq!(stats.rotations, [0, 0, 1]);
        assert_eq!(stats.revocations, [0, 1, 1]);
        // From the first decision to revoke (a day earlier), and from the run's start.
        assert_eq!(stats.time_to_revoke, [86_400, 3]);
        assert_eq!(stats.distribution(), [0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(stats.percentile(50), Some(86_400));
        assert_eq!(stats.percentile(0), Some(3));
        assert_eq!(
            of(&[], "2026-12-01T12:00:00Z".parse().expect("now"), 3).percentile(50),
            None
        );
    }
}
