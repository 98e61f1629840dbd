//! Typed config values that validate as they deserialize: durations, cron
//! schedules, timestamps. Their error messages reach users verbatim.

use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::governance::Schedule;

/// A duration written like `90d`, `12h`, `30m`, `1w 2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dur(pub StdDuration);

impl Dur {
    /// As a chrono delta, for date arithmetic.
    pub fn delta(self) -> TimeDelta {
        TimeDelta::from_std(self.0).unwrap_or(TimeDelta::MAX)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        tenure_plugin_api::serde_duration::deserialize(deserializer).map(Dur)
    }
}

/// How often something recurs: a duration, or `off` (also `0s`) for never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<StdDuration>);

impl<'de> Deserialize<'de> for Every {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim() == "off" {
            return Ok(Every(None));
        }
        tenure_plugin_api::serde_duration::parse(&text)
            .map(|d| Every(Some(d).filter(|d| !d.is_zero())))
            .map_err(|e| D::Error::custom(format!("{e} (or \"off\" for never)")))
    }
}

/// A cron expression: 5 fields (minute first) or 6 (seconds first), in UTC.
#[derive(Debug, Clone)]
pub struct Cron(pub Schedule);

impl<'de> Deserialize<'de> for Cron {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Schedule::parse(&text)
            .map(Cron)
            .map_err(|e| D::Error::custom(format!("invalid cron expression {text:?}: {e}")))
    }
}

/// A point in time: a TOML offset date-time (`2026-01-31T09:00:00Z`) or a
/// local date (`2026-01-31`, meaning midnight UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let datetime = toml::value::Datetime::deserialize(deserializer)?;
        let text = datetime.to_string();
        let parsed = match (datetime.date, datetime.time, datetime.offset) {
            (Some(_), Some(_), Some(_)) => DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|dt| dt.with_timezone(&Utc)),
            (Some(_), None, None) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|dt| dt.and_utc()),
            _ => None,
        };
        parsed.map(Timestamp).ok_or_else(|| {
            D::Error::custom(format!(
                "invalid date-time {text}: expected a date (2026-01-31) or a date-time with an offset (2026-01-31T09:00:00Z)"
            ))
        })
    }
}
