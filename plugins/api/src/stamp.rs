//! The one form Tenure writes a point in time in (audit data, the plan,
//! notifications, vault tags): RFC 3339 in UTC, to the second, with `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

/// `2026-11-30T10:00:00Z`.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_z() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T10:00:00.734+01:00")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(stamp(at), "2026-11-30T09:00:00Z");
    }
}
