//! Small readers of audit entries' `data`, shared by the measurements.

use serde_json::Value;

use crate::audit::TrailEntry;

/// The string at `key` of `value`, if any.
pub fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The `reasons` of a decision or run_started entry's data.
pub fn reasons_of(data: &Value) -> impl Iterator<Item = &str> {
    data.get("reasons")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The latest `decision` entry of each secret: the one that recorded the
/// decision in effect.
pub fn latest_decisions(entries: &[TrailEntry]) -> std::collections::HashMap<&str, &TrailEntry> {
    let mut latest = std::collections::HashMap::new();
    for entry in entries.iter().filter(|e| e.kind == "decision") {
        if let Some(secret) = entry.secret.as_deref() {
            latest.insert(secret, entry);
        }
    }
    latest
}
