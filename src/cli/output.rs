//! What `tenure plan` and `tenure attest` print: a table for people, or
//! JSON for machines.

use std::io::Write;

use tenure_plugin_api::stamp;

use super::PlanFormat;
use crate::plan::PlanEntry;
use crate::reconcile::AttestReport;

/// The reasons, what an exception waived, and the approval an action waits for.
fn reasons_column(e: &PlanEntry<'_>) -> String {
    let mut text = e.reasons.join(",");
    if !e.waived.is_empty() {
        text.push_str(&format!(" (waived: {})", e.waived.join(",")));
    }
    if let Some(id) = &e.pending_approval {
        text.push_str(&format!(" (pending_approval: {id})"));
    }
    text
}

/// The plan, one line (or JSON object) per secret.
pub fn print_plan(entries: &[PlanEntry<'_>], format: PlanFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        PlanFormat::Json => {
            serde_json::to_writer_pretty(&mut out, entries)?;
            writeln!(out)
        }
        PlanFormat::Table => {
            let width = entries
                .iter()
                .map(|e| e.secret.len())
                .max()
                .unwrap_or(6)
                .max(6);
            writeln!(
                out,
                "{:<width$}  {:<9}  {:<20}  {:<32}  REASONS",
                "SECRET", "DECISION", "NEXT DUE", "ATTESTED"
            )?;
            for e in entries {
                let attested = match (e.last_attested.as_deref(), e.attestation) {
                    (Some(at), Some(result)) => format!("{at} {result}"),
                    (Some(at), None) => at.to_owned(),
                    (None, Some(result)) => result.to_owned(),
                    (None, None) => "never".to_owned(),
                };
                writeln!(
                    out,
                    "{:<width$}  {:<9}  {:<20}  {:<32}  {}",
                    e.secret,
                    e.decision,
                    e.next_due.as_deref().unwrap_or("-"),
                    attested,
                    reasons_column(e)
                )?;
            }
            Ok(())
        }
    }
}

/// An attestation pass: each secret's result and findings, unmanaged
/// accounts, secrets left for a run in progress, targets that could not be
/// listed.
pub fn print_attestations(report: &AttestReport, format: PlanFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        PlanFormat::Json => {
            let secrets: Vec<serde_json::Value> = report
                .attestations
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "secret": a.secret.to_string(),
                        "result": a.result(),
                        "findings": a.findings(),
                        "at": stamp(a.at),
                        "checks": a.checks,
                    })
                })
                .collect();
            let unmanaged: Vec<serde_json::Value> = report
                .unmanaged
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "target": u.target, "account": u.login, "state": u.state,
                        "first_seen": stamp(u.first_seen), "last_seen": stamp(u.last_seen),
                    })
                })
                .collect();
            let errors: Vec<serde_json::Value> = report
                .discovery_errors
                .iter()
                .map(|(target, error)| serde_json::json!({ "target": target, "error": error }))
                .collect();
            let pass = report.pass.as_ref().map(|p| {
                serde_json::json!({
                    "id": p.id, "at": stamp(p.at), "attested": p.attested, "ok": p.ok,
                    "drift": p.drift, "unavailable": p.unavailable, "digest": p.digest,
                })
            });
            let busy: Vec<String> = report.busy.iter().map(ToString::to_string).collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "pass": pass,
                    "secrets": secrets,
                    "busy": busy,
                    "unmanaged": unmanaged,
                    "discovery_errors": errors,
                }),
            )?;
            writeln!(out)
        }
        PlanFormat::Table => {
            let width = report
                .attestations
                .iter()
                .map(|a| a.secret.to_string().len())
                .chain(
                    report
                        .unmanaged
                        .iter()
                        .map(|u| u.target.len() + u.login.len() + 1),
                )
                .max()
                .unwrap_or(6)
                .max(6);
            writeln!(out, "{:<width$}  {:<11}  FINDINGS", "SECRET", "RESULT")?;
            for a in &report.attestations {
                let findings = a.findings();
                writeln!(
                    out,
                    "{:<width$}  {:<11}  {}",
                    a.secret.to_string(),
                    a.result(),
                    if findings.is_empty() {
                        "-".to_owned()
                    } else {
                        findings.join(",")
                    }
                )?;
            }
            for u in &report.unmanaged {
                let result = if u.state == "found" {
                    "unmanaged"
                } else {
                    u.state.as_str()
                };
                writeln!(
                    out,
                    "{:<width$}  {:<11}  unmanaged_account",
                    format!("{}/{}", u.target, u.login),
                    result
                )?;
            }
            for secret in &report.busy {
                writeln!(
                    out,
                    "{:<width$}  {:<11}  a run is in progress; attested once it ends",
                    secret.to_string(),
                    "busy"
                )?;
            }
            for (target, error) in &report.discovery_errors {
                writeln!(
                    out,
                    "{:<width$}  {:<11}  {error}",
                    format!("{target}/*"),
                    "unavailable"
                )?;
            }
            Ok(())
        }
    }
}
