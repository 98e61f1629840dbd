//! [`SchedulePolicy`]: when an action that is due may start. Rotations and
//! narrowings wait for an allowed window (UTC hours) outside blackout
//! periods, spread by a stable per-secret jitter; revocations and exposed
//! secrets start at once, whatever the calendar says.

use chrono::{DateTime, Duration as Delta, NaiveTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use tenure_plugin_api::SecretAddress;

/// A daily span of UTC time, `start` inclusive, `end` exclusive; wraps past
/// midnight when `end` is before `start`; the whole day when they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Opens at.
    pub start: NaiveTime,
    /// Closes at.
    pub end: NaiveTime,
}

impl Window {
    /// Parses `HH:MM-HH:MM`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (start, end) = text
            .split_once('-')
            .ok_or_else(|| format!("invalid window {text:?}: expected HH:MM-HH:MM (UTC)"))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("invalid window {text:?}: expected HH:MM-HH:MM (UTC)"))
        };
        Ok(Self {
            start: time(start)?,
            end: time(end)?,
        })
    }

    fn contains(self, at: DateTime<Utc>) -> bool {
        let t = at.time();
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
        }
    }

    /// The first opening at or after `at`.
    fn next_open(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let today = at.date_naive().and_time(self.start).and_utc();
        if today >= at {
            today
        } else {
            today + Delta::days(1)
        }
    }
}

/// A period in which no rotation or narrowing starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// Until (exclusive).
    pub until: DateTime<Utc>,
    /// Why (shown in logs).
    pub reason: String,
}

/// When due actions may start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulePolicy {
    /// Allowed windows; none means any time.
    pub windows: Vec<Window>,
    /// Blackout periods.
    pub blackouts: Vec<Blackout>,
    /// Rotations due together are spread over up to this long.
    pub jitter: std::time::Duration,
}

/// A secret's stable offset in `[0, span)`: derived from its address alone,
/// so it is the same on every pass, every restart and every replica.
pub fn stable_offset(secret: &SecretAddress, span: std::time::Duration) -> TimeDelta {
    let span = u64::try_from(span.as_millis()).unwrap_or(u64::MAX);
    if span == 0 {
        return TimeDelta::zero();
    }
    let digest = Sha256::digest(secret.to_string().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let offset = u64::from_be_bytes(first) % span;
    TimeDelta::milliseconds(i64::try_from(offset).unwrap_or(i64::MAX))
}

impl SchedulePolicy {
    /// The secret's stable offset in `[0, jitter)`: the same on every pass
    /// and every replica, so a restart does not reshuffle the spread.
    pub fn jitter_for(&self, secret: &SecretAddress) -> TimeDelta {
        stable_offset(secret, self.jitter)
    }

    /// The first time at or after `at` inside a window and outside every blackout.
    pub fn next_allowed(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let mut candidate = at;
        // Each step moves forward to a window opening or a blackout's end;
        // a handful of steps settle it (a year of daily windows at worst).
        for _ in 0..1024 {
            if let Some(blackout) = self
                .blackouts
                .iter()
                .find(|b| b.from <= candidate && candidate < b.until)
            {
                candidate = blackout.until;
                continue;
            }
            if !self.windows.is_empty() && !self.windows.iter().any(|w| w.contains(candidate)) {
                candidate = self
                    .windows
                    .iter()
                    .map(|w| w.next_open(candidate))
                    .min()
                    .unwrap_or(candidate);
                continue;
            }
            return candidate;
        }
        candidate
    }

    /// When an action on `secret`, ready since `ready_at`, may start: at once
    /// when `urgent` (revocations, exposed values); otherwise after its
    /// jitter, in the next allowed window.
    pub fn due_at(
        &self,
        secret: &SecretAddress,
        urgent: bool,
        ready_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if urgent {
            return ready_at;
        }
        // Jitter after the window opens, so the spread survives the wait.
        let opens = self.next_allowed(ready_at);
        self.next_allowed(opens + self.jitter_for(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn address(path: &str) -> SecretAddress {
        SecretAddress::new("local", path).expect("address")
    }

    /// A policy with `windows` and nothing else.
    fn windows(windows: &[&str]) -> SchedulePolicy {
        SchedulePolicy {
            windows: windows
                .iter()
                .map(|w| Window::parse(w).expect("window"))
                .collect(),
            ..SchedulePolicy::default()
        }
    }

    /// Asserts that `policy` moves each `(ready, allowed)` pair's ready
    /// time to its allowed one.
    fn assert_next_allowed(policy: &SchedulePolicy, cases: &[(&str, &str)]) {
        for (ready, allowed) in cases {
            assert_eq!(
                policy.next_allowed(at(ready)),
                at(allowed),
                "ready at {ready}"
            );
        }
    }

    #[test]
    fn windows_parse_and_wrap_midnight() {
        assert!(Window::parse("25:00-02:00").is_err());
        assert!(Window::parse("0200").is_err());
        assert_next_allowed(
            &windows(&["22:00-02:00"]),
            &[
                ("2026-11-25T23:30:00Z", "2026-11-25T23:30:00Z"),
                ("2026-11-26T01:59:00Z", "2026-11-26T01:59:00Z"),
                ("2026-11-26T02:00:00Z", "2026-11-26T22:00:00Z"),
                ("2026-11-26T12:00:00Z", "2026-11-26T22:00:00Z"),
            ],
        );
    }

    #[test]
    fn the_earliest_of_several_windows_wins() {
        assert_next_allowed(
            &windows(&["14:00-15:00", "03:00-04:00"]),
            &[
                ("2026-11-26T05:00:00Z", "2026-11-26T14:00:00Z"),
                ("2026-11-26T16:00:00Z", "2026-11-27T03:00:00Z"),
            ],
        );
    }

    #[test]
    fn blackouts_push_past_their_end_and_into_a_window() {
        let policy = SchedulePolicy {
            blackouts: vec![Blackout {
                from: at("2026-12-20T00:00:00Z"),
                until: at("2027-01-04T12:00:00Z"),
                reason: "year-end freeze".into(),
            }],
            ..windows(&["02:00-04:00"])
        };
        assert_next_allowed(
            &policy,
            &[
                ("2026-12-24T03:00:00Z", "2027-01-05T02:00:00Z"),
                ("2026-12-19T03:00:00Z", "2026-12-19T03:00:00Z"),
            ],
        );
    }

    #[test]
    fn jitter_is_stable_and_within_bounds_and_urgent_work_ignores_the_calendar() {
        let policy = SchedulePolicy {
            jitter: std::time::Duration::from_secs(600),
            ..windows(&["02:00-03:00"])
        };
        let mut offsets = std::collections::HashSet::new();
        for i in 0..500 {
            let secret = address(&format!("db/role-{i}"));
            let jitter = policy.jitter_for(&secret);
            assert!(jitter >= TimeDelta::zero() && jitter < TimeDelta::seconds(600));
            assert_eq!(jitter, policy.jitter_for(&secret));
            offsets.insert(jitter.num_seconds() / 60);
        }
        assert_eq!(offsets.len(), 10, "spread over every minute of the span");
        let ready = at("2026-11-26T12:00:00Z");
        let secret = address("db/orders");
        assert_eq!(policy.due_at(&secret, true, ready), ready);
        let due = policy.due_at(&secret, false, ready);
        assert!(
            due >= at("2026-11-27T02:00:00Z") && due < at("2026-11-27T02:10:00Z"),
            "{due}"
        );
    }
}
