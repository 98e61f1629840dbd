//! Time to revoke, measured from the audit trail: every cause of a
//! revocation (an owner who left, a decommissioned workload, an exposed
//! value) and the proof that ended it.
//!
//! A cause is the first `decision` or `run_started` entry that decided to
//! revoke a secret (to replace it, for an exposure) naming `owner_left`,
//! `workload_decommissioned` or `secret_exposed`. It is timed from the
//! event that reported it when the trail holds one (the `event` entry's
//! `received_at`: when Tenure learned of it), else from that entry (a fact
//! read from the governance files). It ends at the first `verification`
//! entry of a later revoke (or, for an exposure, rotate) run whose next
//! phase is `done`: the step that proved the credential refused. A cause
//! without one stays open; it is never counted as met.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::trail::{reasons_of, text};
use crate::audit::TrailEntry;

/// One cause of a revocation and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct Revocation {
    /// owner_left, workload_decommissioned or secret_exposed.
    pub cause: &'static str,
    /// The secret.
    pub secret: String,
    /// Where the cause is known from: `event` (an accepted event) or
    /// `decision` (the governance files, as a decision read them).
    pub source: &'static str,
    /// The event's id, for `source = event`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// When it is timed from.
    pub at: DateTime<Utc>,
    /// The audit entry of the event (or of the decision).
    pub cause_entry: String,
    /// The run that revoked (or replaced) the credential, if one was proven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// When the revocation was proven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proven_at: Option<DateTime<Utc>>,
    /// The audit entry of the proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof_entry: Option<String>,
    /// What the proof checked (its `evidence.check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof_check: Option<String>,
    /// Seconds from `at` to `proven_at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<i64>,
}

const CAUSES: [&str; 3] = ["owner_left", "workload_decommissioned", "secret_exposed"];

/// Whether a run of `action` ends a cause of kind `cause`.
fn ends(cause: &str, action: &str) -> bool {
    action == "revoke" || (cause == "secret_exposed" && action == "rotate")
}

/// One signal of an `event` entry.
struct Signal<'a> {
    kind: &'a str,
    key: &'a str,
    value: &'a str,
    received_at: DateTime<Utc>,
    id: Option<&'a str>,
    hash: &'a str,
}

fn signals(entry: &TrailEntry) -> Vec<Signal<'_>> {
    if text(&entry.data, "outcome") != Some("applied") {
        return Vec::new();
    }
    let received_at = text(&entry.data, "received_at")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(entry.ts, |t| t.with_timezone(&Utc));
    let list = entry.data.get("signals").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|s| {
            Some(Signal {
                kind: text(s, "kind")?,
                key: text(s, "key")?,
                value: text(s, "value")?,
                received_at,
                id: text(&entry.data, "id"),
                hash: &entry.hash,
            })
        })
        .collect()
}

/// Whether `signal` reported `cause` for `secret` (governed by `record`).
fn reports(
    signal: &Signal<'_>,
    cause: &str,
    secret: &str,
    record: Option<&crate::governance::Record>,
) -> bool {
    match (cause, signal.kind, signal.value) {
        ("secret_exposed", "secret_exposed", _) => signal.key == secret,
        ("owner_left", "owner_status", "left") => record.is_some_and(|r| r.owner == signal.key),
        ("workload_decommissioned", "workload_status", "decommissioned") => {
            record.is_some_and(|r| r.workloads.iter().any(|w| w == signal.key))
        }
        _ => false,
    }
}

/// Every cause in `entries` (the whole trail, in order), with its proof if
/// one followed; `record_of` finds a secret's record.
pub fn measure<'c>(
    entries: &[TrailEntry],
    record_of: impl Fn(&str) -> Option<&'c crate::governance::Record>,
) -> Vec<Revocation> {
    let mut seen: Vec<Signal<'_>> = Vec::new();
    let mut runs: std::collections::HashMap<&str, &str> = Default::default();
    let mut open: Vec<Revocation> = Vec::new();
    let mut done: Vec<Revocation> = Vec::new();
    for entry in entries {
        let secret = entry.secret.as_deref().unwrap_or_default();
        match entry.kind.as_str() {
            "event" => seen.extend(signals(entry)),
            "decision" | "run_started" => {
                let action = text(&entry.data, "decision").or(text(&entry.data, "action"));
                if entry.kind == "run_started"
                    && let (Some(run), Some(action)) = (entry.run.as_deref(), action)
                {
                    runs.insert(run, action);
                }
                let Some(action) = action else { continue };
                for reason in reasons_of(&entry.data) {
                    let Some(cause) = CAUSES.iter().find(|c| **c == reason) else {
                        continue;
                    };
                    if !ends(cause, action)
                        || open.iter().any(|o| o.secret == secret && o.cause == *cause)
                    {
                        continue;
                    }
                    let record = record_of(secret);
                    let origin = seen
                        .iter()
                        .rev()
                        .find(|s| reports(s, cause, secret, record));
                    open.push(Revocation {
                        cause,
                        secret: secret.to_owned(),
                        source: if origin.is_some() {
                            "event"
                        } else {
                            "decision"
                        },
                        event_id: origin.and_then(|s| s.id.map(str::to_owned)),
                        at: origin.map_or(entry.ts, |s| s.received_at),
                        cause_entry: origin.map_or(entry.hash.clone(), |s| s.hash.to_owned()),
                        run: None,
                        proven_at: None,
                        proof_entry: None,
                        proof_check: None,
                        seconds: None,
                    });
                }
            }
            "verification" if text(&entry.data, "next") == Some("done") => {
                let Some((run, action)) = entry
                    .run
                    .as_deref()
                    .and_then(|r| runs.get(r).map(|action| (r, *action)))
                else {
                    continue;
                };
                let (ended, still): (Vec<_>, Vec<_>) = open
                    .into_iter()
                    .partition(|o| o.secret == secret && ends(o.cause, action));
                open = still;
                for mut cause in ended {
                    cause.run = Some(run.to_owned());
                    cause.proven_at = Some(entry.ts);
                    cause.proof_entry = Some(entry.hash.clone());
                    cause.proof_check = entry
                        .data
                        .get("evidence")
                        .and_then(|e| text(e, "check"))
                        .map(str::to_owned);
                    cause.seconds = Some((entry.ts - cause.at).num_seconds().max(0));
                    done.push(cause);
                }
            }
            _ => {}
        }
    }
    done.extend(open);
    done.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.secret.cmp(&b.secret)));
    done
}
