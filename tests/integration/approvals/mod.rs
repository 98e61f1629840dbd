//! Four-eyes approvals, black-box: from the command line (`cli`: a revoke
//! asked by one person waits, its requester cannot approve it, a second
//! person's approval carries it out; a decided revoke waits in the plan and
//! a rejection holds it), through the running service (`service`: the same
//! with operators and a PostgreSQL login refused as proof, roles per
//! route), and expiry (`expiry`: nobody decides, the request expires, the
//! credential is untouched, the decision is asked again).

mod cli;
mod expiry;
mod service;

use serde_json::Value;

/// `[approvals]` requiring revocations, with `ttl`.
pub fn approvals_table(ttl: &str) -> String {
    format!("[approvals]\nrequire = [\"revoke\"]\nttl = {ttl:?}\n")
}

/// The `approval` audit entries of `trail` (a JSONL text), in order, as
/// `(event, subject, actor name)`.
pub fn approval_entries(trail: &str) -> Vec<(String, String, Option<String>)> {
    trail
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "approval")
        .map(|e| {
            let data = &e["data"];
            (
                data["event"].as_str().unwrap_or_default().to_owned(),
                data["subject"].as_str().unwrap_or_default().to_owned(),
                data["actor"]["name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}
