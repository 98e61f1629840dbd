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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::entry_of;

    fn entry(
        seq: u64,
        ts: &str,
        kind: &str,
        secret: Option<&str>,
        run: Option<&str>,
        data: Value,
    ) -> TrailEntry {
        entry_of(json!({
            "seq": seq, "ts": ts, "kind": kind, "secret": secret, "run": run,
            "data": data, "hash": format!("h{seq}"),
        }))
        .expect("entry")
    }

    #[test]
    fn a_cause_without_proof_stays_open_and_an_exposure_ends_with_its_rotation() {
        let trail = [
            entry(
                1,
                "2026-01-01T00:00:00Z",
                "event",
                None,
                None,
                json!({
                    "outcome": "applied", "id": "e1", "received_at": "2026-01-01T00:00:00Z",
                    "signals": [{ "kind": "secret_exposed", "key": "local:a", "value": "exposed" }],
                }),
            ),
            entry(
                2,
                "2026-01-01T00:00:05Z",
                "decision",
                Some("local:a"),
                None,
                json!({ "decision": "rotate", "reasons": ["secret_exposed"] }),
            ),
            entry(
                3,
                "2026-01-01T00:00:06Z",
                "decision",
                Some("local:b"),
                None,
                json!({ "decision": "revoke", "reasons": ["owner_left"] }),
            ),
            entry(
                4,
                "2026-01-01T00:00:07Z",
                "run_started",
                Some("local:a"),
                Some("r1"),
                json!({ "action": "rotate", "reasons": ["secret_exposed"] }),
            ),
            entry(
                5,
                "2026-01-01T00:00:08Z",
                "run_started",
                Some("local:b"),
                Some("r2"),
                json!({ "action": "revoke", "reasons": ["owner_left"] }),
            ),
            // b's run fails: no verification that ends it.
            entry(
                6,
                "2026-01-01T00:00:09Z",
                "error",
                Some("local:b"),
                Some("r2"),
                json!({}),
            ),
            entry(
                7,
                "2026-01-01T00:01:00Z",
                "verification",
                Some("local:a"),
                Some("r1"),
                json!({ "phase": "retire", "next": "done", "evidence": { "check": "retired_credential_refused" } }),
            ),
        ];
        let causes = measure(&trail, |_| None);
        assert_eq!(causes.len(), 2, "{causes:?}");
        let a = &causes[0];
        assert_eq!(
            (a.secret.as_str(), a.cause, a.source),
            ("local:a", "secret_exposed", "event")
        );
        assert_eq!(
            (a.cause_entry.as_str(), a.proof_entry.as_deref()),
            ("h1", Some("h7"))
        );
        assert_eq!(a.seconds, Some(60));
        assert_eq!(a.proof_check.as_deref(), Some("retired_credential_refused"));
        let b = &causes[1];
        assert_eq!(
            (b.secret.as_str(), b.source, b.cause_entry.as_str()),
            ("local:b", "decision", "h3")
        );
        assert!(
            b.proven_at.is_none() && b.seconds.is_none(),
            "open, never met: {b:?}"
        );
        let judged = super::super::figures::time_to_revoke(
            causes,
            Some(std::time::Duration::from_secs(3600)),
            DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
                .expect("ts")
                .with_timezone(&Utc),
        );
        assert_eq!((judged.met, judged.open, judged.open_past_limit), (1, 1, 1));
        assert_eq!(judged.p50_seconds, Some(60));
    }
}
