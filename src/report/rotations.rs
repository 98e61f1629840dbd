//! Rotations on time or late, measured from the audit trail.
//!
//! A rotation is a `rotate` run (`run_started`) that completed its
//! `promote` phase: from then on the new credential is the one in use. Its
//! due time is when the version it replaced (its `create_pending` phase
//! names it) reached the record's `max_age`, or the first occurrence of the
//! record's `schedule` after that version was written; nothing is taken
//! off for `renew_before`. When that version was written comes from the
//! vault's version history, else from the previous rotation in the trail;
//! when neither knows, the rotation is `unavailable`, never on time. A run
//! that never promoted is `incomplete`; one of a record with neither
//! `max_age` nor `schedule` has `no_due_time`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::trail::{reasons_of, text};
use crate::audit::TrailEntry;
use crate::governance::Record;

/// One rotation.
#[derive(Debug, Clone, Serialize)]
pub struct Rotation {
    /// The secret.
    pub secret: String,
    /// The run.
    pub run: String,
    /// Why it ran (the run's reasons).
    pub reasons: Vec<String>,
    /// on_time, late, incomplete, no_due_time or unavailable.
    pub status: &'static str,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When the new credential was promoted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// When the replaced version was due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// What the due time was computed from (`max_age 90d`, `schedule 0 3 * * *`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_by: Option<String>,
    /// When the replaced version was written, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_written_at: Option<DateTime<Utc>>,
    /// Seconds after the due time it completed (late ones only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_by_seconds: Option<i64>,
    /// The `run_started` entry.
    pub start_entry: String,
    /// The `promote` entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_entry: Option<String>,
}

/// When each version was written, by (secret, version id), from the vaults.
pub type Versions = HashMap<(String, String), DateTime<Utc>>;

/// Every rotation in `entries` (the whole trail, in order).
pub fn measure<'c>(
    entries: &[TrailEntry],
    versions: &Versions,
    record_of: impl Fn(&str) -> Option<&'c Record>,
) -> Vec<Rotation> {
    let mut rotations: Vec<Rotation> = Vec::new();
    let mut replaces: HashMap<String, String> = HashMap::new();
    let mut last_promote: HashMap<String, DateTime<Utc>> = HashMap::new();
    for entry in entries {
        let (Some(secret), Some(run)) = (entry.secret.as_deref(), entry.run.as_deref()) else {
            continue;
        };
        let phase = text(&entry.data, "phase");
        if entry.kind == "run_started" && text(&entry.data, "action") == Some("rotate") {
            rotations.push(Rotation {
                secret: secret.to_owned(),
                run: run.to_owned(),
                reasons: reasons_of(&entry.data).map(str::to_owned).collect(),
                status: "incomplete",
                started_at: entry.ts,
                completed_at: None,
                due_at: None,
                due_by: None,
                replaced_written_at: None,
                late_by_seconds: None,
                start_entry: entry.hash.clone(),
                completion_entry: None,
            });
        } else if phase == Some("create_pending") {
            if let Some(v) = entry.data.get("evidence").and_then(|e| text(e, "replaces")) {
                replaces.insert(run.to_owned(), v.to_owned());
            }
        } else if phase == Some("promote") && text(&entry.data, "result") == Some("ok") {
            let previous = last_promote.insert(secret.to_owned(), entry.ts);
            let Some(rotation) = rotations.iter_mut().rev().find(|r| r.run == run) else {
                continue;
            };
            rotation.completed_at = Some(entry.ts);
            rotation.completion_entry = Some(entry.hash.clone());
            let written = replaces
                .get(run)
                .and_then(|v| versions.get(&(secret.to_owned(), v.clone())))
                .copied()
                .or(previous);
            rotation.replaced_written_at = written;
            judge(rotation, record_of(secret), written, entry.ts);
        }
    }
    rotations
}

/// Sets the due time and status of a rotation completed at `done`.
fn judge(
    rotation: &mut Rotation,
    record: Option<&Record>,
    written: Option<DateTime<Utc>>,
    done: DateTime<Utc>,
) {
    let Some(record) = record.filter(|r| r.max_age.is_some() || r.schedule.is_some()) else {
        rotation.status = "no_due_time";
        return;
    };
    let Some(written) = written else {
        rotation.status = "unavailable";
        return;
    };
    let by_age = record.max_age.map(|age| {
        let shown = age
            .to_std()
            .map(|d| humantime::format_duration(d).to_string())
            .unwrap_or_default();
        (written + age, format!("max_age {shown}"))
    });
    let by_schedule = record.schedule.as_ref().and_then(|s| {
        s.next_after(written)
            .map(|at| (at, format!("schedule {}", s.source)))
    });
    let due = match (by_age, by_schedule) {
        (Some(a), Some(s)) => Some(if a.0 <= s.0 { a } else { s }),
        (a, s) => a.or(s),
    };
    let Some((due_at, due_by)) = due else {
        rotation.status = "unavailable";
        return;
    };
    rotation.due_at = Some(due_at);
    rotation.due_by = Some(due_by);
    if done <= due_at {
        rotation.status = "on_time";
    } else {
        rotation.status = "late";
        rotation.late_by_seconds = Some((done - due_at).num_seconds());
    }
}
