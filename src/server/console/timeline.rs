//! A secret's audit entries as timeline rows: one sentence per entry
//! (decision, action started, phase, proof, attestation, approval, event),
//! and the entry's own data, hash and signature mark beside it.

use maud::{Markup, html};
use serde_json::Value;

use super::layout::{self, badge};
use crate::audit::TrailEntry;

/// The most entries the page shows (newest first), so a page stays
/// under 200 KB.
pub const MAX_ROWS: usize = 100;
/// The most bytes of an entry's data shown.
const MAX_DATA: usize = 1200;

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn list(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn with_reasons(head: String, reasons: String) -> String {
    if reasons.is_empty() {
        head
    } else {
        format!("{head} ({reasons})")
    }
}

/// One sentence saying what the entry records.
pub fn summary(entry: &TrailEntry) -> String {
    let d = &entry.data;
    let or = |key: &str| text(d, key).unwrap_or("?");
    match entry.kind.as_str() {
        "decision" => with_reasons(format!("Decided {}", or("decision")), list(d, "reasons")),
        "run_started" => with_reasons(format!("Started {}", or("action")), list(d, "reasons")),
        "phase" | "verification" => {
            let mut line = format!(
                "{} {}: {}",
                if entry.kind == "phase" {
                    "Phase"
                } else {
                    "Proof at"
                },
                or("phase"),
                or("result")
            );
            if let Some(check) = d.pointer("/evidence/check").and_then(Value::as_str) {
                line.push_str(&format!(" — {check}"));
            }
            if let Some(detail) = d.pointer("/evidence/proof/detail").and_then(Value::as_str) {
                line.push_str(&format!(": {detail}"));
            }
            if let Some(error) = text(d, "error") {
                line.push_str(&format!(" — {error}"));
            }
            if let Some(next) = text(d, "next") {
                line.push_str(&format!(" → {next}"));
            }
            line
        }
        "attestation" => {
            let checks: Vec<String> = d
                .get("checks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{} {}",
                        text(c, "name").unwrap_or("?"),
                        text(c, "outcome").unwrap_or("?")
                    )
                })
                .collect();
            let findings = list(d, "findings");
            let findings = if findings.is_empty() {
                "no findings".to_owned()
            } else {
                format!("findings: {findings}")
            };
            format!("Attested: {}; {findings}", checks.join(", "))
        }
        "approval" => {
            let by = d
                .pointer("/actor/name")
                .and_then(Value::as_str)
                .or_else(|| text(d, "decided_by"))
                .or_else(|| text(d, "requested_by"))
                .unwrap_or("?");
            format!("Approval of {} {} by {by}", or("action"), or("event"))
        }
        "event" => format!("Event {}", text(d, "type").unwrap_or("received")),
        other => other.replace('_', " "),
    }
}

/// The badge word of an entry: its result when it has one, else its kind.
fn tone_word(entry: &TrailEntry) -> &str {
    match text(&entry.data, "result") {
        Some("ok") => "ok",
        Some(_) => "drift",
        None => "plain",
    }
}

/// The most bytes of a summary shown.
const MAX_SUMMARY: usize = 400;

/// `text` cut to at most `max` bytes (on a character boundary), marked.
fn clip(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" … (cut; the full entry is in the trail)");
    }
    text
}

fn data(entry: &TrailEntry) -> String {
    clip(
        serde_json::to_string_pretty(&entry.data).unwrap_or_default(),
        MAX_DATA,
    )
}

/// The timeline table of `entries` (newest first, at most [`MAX_ROWS`]).
pub fn render(entries: &[TrailEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p.muted { "The audit trail has no entry for this secret yet." }
        } @else {
            @if entries.len() > MAX_ROWS {
                p.muted { "The latest " (MAX_ROWS) " of " (entries.len()) " entries." }
            }
            table.timeline {
                tr { th { "When" } th { "Kind" } th { "What happened" } th { "Entry" } }
                @for entry in entries.iter().rev().take(MAX_ROWS) {
                    tr {
                        td.when { (layout::when(&tenure_plugin_api::stamp(entry.ts))) }
                        td {
                            span class={ "badge " (layout::tone(tone_word(entry))) } { (entry.kind.replace('_', " ")) }
                        }
                        td {
                            (clip(summary(entry), MAX_SUMMARY))
                            details { summary { "data" } pre { (data(entry)) } }
                        }
                        td.mono title=(entry.hash) {
                            "#" (entry.seq) " " (entry.hash.get(..12).unwrap_or(&entry.hash))
                            @if entry.is_signed() { " " (badge("signed")) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(kind: &str, data: Value) -> TrailEntry {
        TrailEntry {
            seq: 1,
            ts: "2026-12-01T04:54:13Z".parse().expect("time"),
            kind: kind.to_owned(),
            secret: Some("local:a".to_owned()),
            run: None,
            data,
            hash: "ab".repeat(32),
            line: Value::Null,
        }
    }

    #[test]
    fn each_kind_reads_as_a_sentence() {
        let cases = [
            (
                entry(
                    "decision",
                    json!({"decision": "revoke", "reasons": ["owner_left"]}),
                ),
                "Decided revoke (owner_left)",
            ),
            (
                entry("run_started", json!({"action": "rotate", "reasons": []})),
                "Started rotate",
            ),
            (
                entry(
                    "verification",
                    json!({"phase": "disable_in_vault", "result": "ok", "next": "done",
                    "evidence": {"check": "vault_refuses_read", "proof": {"detail": "a read was refused"}}}),
                ),
                "Proof at disable_in_vault: ok — vault_refuses_read: a read was refused → done",
            ),
            (
                entry(
                    "attestation",
                    json!({"checks": [{"name": "login", "outcome": "ok"}], "findings": []}),
                ),
                "Attested: login ok; no findings",
            ),
            (
                entry(
                    "approval",
                    json!({"action": "revoke", "event": "approved", "actor": {"name": "april"}}),
                ),
                "Approval of revoke approved by april",
            ),
            (entry("attestation_pass", json!({})), "attestation pass"),
        ];
        for (entry, expected) in cases {
            assert_eq!(summary(&entry), expected);
        }
    }

    #[test]
    fn a_long_trail_stays_under_200_kb() {
        let big = json!({ "detail": "x".repeat(20_000), "checks": [{"name": "a".repeat(5000)}] });
        let entries: Vec<TrailEntry> = (0..1000)
            .map(|_| entry("attestation", big.clone()))
            .collect();
        let html = render(&entries).into_string();
        assert!(html.len() < 200_000, "{} bytes", html.len());
        assert!(html.contains("The latest 100 of 1000 entries."));
    }

    #[test]
    fn the_newest_comes_first_and_data_is_escaped() {
        let html = render(&[entry("event", json!({"type": "<b>x</b>"}))]).into_string();
        assert!(html.contains("Event &lt;b&gt;x&lt;/b&gt;"), "{html}");
        assert!(html.contains("#1 abababababab"), "{html}");
    }
}
