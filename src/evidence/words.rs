//! What an audit entry says, in words: a one-line [`summary`] of what
//! happened and the [`proof`] it carries, for the evidence page. Derived
//! only from the entry (its kind and data), so a verifier recomputes them.

use serde_json::Value;

/// The text of `data[key]` (a string, or the value in words), `none` when absent.
fn field(data: &Value, key: &str) -> String {
    match data.get(key) {
        None | Some(Value::Null) => "none".to_owned(),
        Some(value) => describe(value),
    }
}

/// A list of names (`["owner_left"]`) as `owner_left`, comma-separated.
fn list(data: &Value, key: &str) -> String {
    match data.get(key).and_then(Value::as_array) {
        Some(items) if !items.is_empty() => {
            items.iter().map(describe).collect::<Vec<_>>().join(", ")
        }
        _ => "none".to_owned(),
    }
}

/// Any JSON value in words: objects as `key: value; ...`, lists
/// comma-separated, strings as they are.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "none".to_owned(),
        Value::String(text) => text.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(describe).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(key, value)| match value {
                    Value::Object(_) => format!("{key}: ({})", describe(value)),
                    _ => format!("{key}: {}", describe(value)),
                })
                .collect();
            parts.join("; ")
        }
    }
}

/// What happened, in one line.
pub fn summary(kind: &str, data: &Value) -> String {
    let text = |key: &str| field(data, key);
    match kind {
        "decision" => {
            let mut line = format!(
                "Decided {} ({}) under record {}",
                text("decision"),
                list(data, "reasons"),
                text("record")
            );
            if let Some(actor) = data.get("actor").filter(|a| !a.is_null()) {
                line.push_str(&format!(", at the request of {}", field(actor, "name")));
            }
            if let Some(approval) = data.get("approval").filter(|a| !a.is_null()) {
                line.push_str(&format!(
                    ", approved by {} (request {})",
                    field(approval, "approved_by"),
                    field(approval, "id")
                ));
            }
            if data
                .get("waived")
                .and_then(Value::as_array)
                .is_some_and(|w| !w.is_empty())
            {
                line.push_str(&format!("; waived: {}", list(data, "waived")));
            }
            line
        }
        "run_started" => format!(
            "Started a {} run ({}) on target {}",
            text("action"),
            list(data, "reasons"),
            text("target")
        ),
        "phase" | "verification" => {
            let what = if kind == "verification" {
                "Verified in phase"
            } else {
                "Completed phase"
            };
            let next = match text("next").as_str() {
                "done" => "the run is done".to_owned(),
                next => format!("next {next}"),
            };
            format!("{what} {}: {}; {next}", text("phase"), text("result"))
        }
        "error" => format!(
            "Phase {} failed ({}, attempt {}): {}; {}",
            text("phase"),
            text("kind"),
            text("attempt"),
            text("error"),
            if data.get("will_retry") == Some(&Value::Bool(true)) {
                "will retry"
            } else {
                "will not retry"
            }
        ),
        "quarantined" => format!(
            "Quarantined after {} failures: {}",
            text("failures"),
            text("last_error")
        ),
        "released" => format!("Released from quarantine by {}", text("by")),
        "escalation" => format!(
            "Escalated to a person: {} ({} on target {})",
            text("reason"),
            text("action"),
            text("target")
        ),
        "attestation" => {
            let findings = list(data, "findings");
            format!("Attested: {}; findings: {findings}", text("result"))
        }
        "approval" => format!(
            "Approval request {} to {} ({}) {}: {}; requested by {}, decided by {}",
            text("id"),
            text("action"),
            list(data, "reasons"),
            text("event"),
            text("status"),
            text("requested_by"),
            text("decided_by")
        ),
        "event" => {
            let signals: Vec<String> = data
                .get("signals")
                .and_then(Value::as_array)
                .map(|signals| {
                    signals
                        .iter()
                        .map(|s| {
                            format!(
                                "{} {} = {}",
                                field(s, "kind"),
                                field(s, "key"),
                                field(s, "value")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "Event {} ({}) {}: {}",
                text("type"),
                text("id"),
                text("outcome"),
                if signals.is_empty() {
                    "no signal".to_owned()
                } else {
                    signals.join(", ")
                }
            )
        }
        "signal_removed" => {
            let signal = data.get("signal").unwrap_or(&Value::Null);
            let by = data
                .get("actor")
                .and_then(|a| a.get("name"))
                .map_or_else(|| text("by"), describe);
            format!(
                "Signal {} {} = {} removed by {by}",
                field(signal, "kind"),
                field(signal, "key"),
                field(signal, "value")
            )
        }
        other => format!("{other}: {}", describe(data)),
    }
}

/// The proof an entry carries, in words: what a phase or verification
/// established, or each check of an attestation; `None` for entries
/// without one.
pub fn proof(kind: &str, data: &Value) -> Option<String> {
    match kind {
        "phase" | "verification" => data
            .get("evidence")
            .filter(|e| e.as_object().is_some_and(|o| !o.is_empty()))
            .map(describe),
        "attestation" => {
            let checks = data.get("checks")?.as_array()?;
            let parts: Vec<String> = checks
                .iter()
                .map(|check| {
                    let detail = check.get("detail").unwrap_or(&Value::Null);
                    format!(
                        "{} {}: {}",
                        field(check, "name"),
                        field(check, "outcome"),
                        describe(detail)
                    )
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(" | "))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_reads_as_a_sentence() {
        let decision = json!({"decision": "revoke", "reasons": ["owner_left"], "record": "payments-token", "waived": []});
        assert_eq!(
            summary("decision", &decision),
            "Decided revoke (owner_left) under record payments-token"
        );
        let phase = json!({"phase": "disable_in_vault", "result": "ok", "next": "done",
            "evidence": {"check": "vault_refuses_read", "proof": {"method": "vault_read", "detail": "refused"}}});
        assert_eq!(
            summary("verification", &phase),
            "Verified in phase disable_in_vault: ok; the run is done"
        );
        assert_eq!(
            proof("verification", &phase).as_deref(),
            Some("check: vault_refuses_read; proof: (detail: refused; method: vault_read)")
        );
        assert_eq!(proof("phase", &json!({"evidence": {}})), None);
        let attestation = json!({"result": "ok", "findings": [], "checks": [
            {"name": "vault_refuses_read", "outcome": "ok", "detail": {"method": "vault_read"}}]});
        assert_eq!(
            proof("attestation", &attestation).as_deref(),
            Some("vault_refuses_read ok: method: vault_read")
        );
        assert_eq!(summary("custom", &json!({"a": 1})), "custom: a: 1");
    }
}
