//! The report as CSV: a `summary` row per control, then one row per
//! finding (`out_of_policy`, `unavailable`, `exception`) and per measured
//! item (`revocation`, `rotation`), each with its audit entry hashes.

use super::super::{ControlReport, Report};
use tenure_plugin_api::stamp;

const HEADER: [&str; 16] = [
    "framework",
    "control",
    "control_title",
    "control_status",
    "row",
    "secret",
    "record",
    "owner",
    "decision",
    "status",
    "why",
    "at",
    "completed_at",
    "due_at",
    "seconds",
    "evidence",
];

/// One row, by column name; the rest empty.
#[derive(Default)]
struct Row {
    row: &'static str,
    secret: String,
    record: String,
    owner: String,
    decision: String,
    status: String,
    why: String,
    at: String,
    completed_at: String,
    due_at: String,
    seconds: String,
    evidence: String,
}

fn rows(c: &ControlReport) -> Vec<Row> {
    let mut rows = vec![Row {
        row: "summary",
        status: c.status.to_owned(),
        why: format!(
            "population {}; out of policy {}; unavailable {}; exceptions {}",
            c.population.len(),
            c.out_of_policy.len(),
            c.unavailable.len(),
            c.exceptions.len()
        ),
        ..Row::default()
    }];
    for (kind, list) in [
        ("out_of_policy", &c.out_of_policy),
        ("unavailable", &c.unavailable),
    ] {
        rows.extend(list.iter().map(|f| Row {
            row: kind,
            secret: f.secret.clone(),
            record: f.record.clone().unwrap_or_default(),
            owner: f.owner.clone().unwrap_or_default(),
            decision: f.decision.to_owned(),
            status: kind.to_owned(),
            why: f.why.join("; "),
            evidence: f.evidence.clone().unwrap_or_default(),
            ..Row::default()
        }));
    }
    rows.extend(c.exceptions.iter().map(|x| Row {
        row: "exception",
        secret: x.secret.clone(),
        record: x.record.clone(),
        owner: x.approved_by.clone(),
        status: "excepted".to_owned(),
        why: format!("waives {}: {}", x.waived.join(", "), x.reason),
        due_at: x.until.clone(),
        evidence: x.evidence.clone().unwrap_or_default(),
        ..Row::default()
    }));
    for e in c.time_to_revoke.iter().flat_map(|t| &t.events) {
        let r = &e.revocation;
        let evidence: Vec<&str> = std::iter::once(r.cause_entry.as_str())
            .chain(r.proof_entry.as_deref())
            .collect();
        rows.push(Row {
            row: "revocation",
            secret: r.secret.clone(),
            status: e.status.to_owned(),
            why: format!("{} ({})", r.cause, r.source),
            at: stamp(r.at),
            completed_at: r.proven_at.map(stamp).unwrap_or_default(),
            seconds: r
                .seconds
                .or(e.open_for_seconds)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            evidence: evidence.join(" "),
            ..Row::default()
        });
    }
    for r in c.rotations.iter().flat_map(|f| &f.rotations) {
        let evidence: Vec<&str> = std::iter::once(r.start_entry.as_str())
            .chain(r.completion_entry.as_deref())
            .collect();
        rows.push(Row {
            row: "rotation",
            secret: r.secret.clone(),
            status: r.status.to_owned(),
            why: r.reasons.join(", "),
            at: stamp(r.started_at),
            completed_at: r.completed_at.map(stamp).unwrap_or_default(),
            due_at: r.due_at.map(stamp).unwrap_or_default(),
            seconds: r.late_by_seconds.map(|s| s.to_string()).unwrap_or_default(),
            evidence: evidence.join(" "),
            ..Row::default()
        });
    }
    rows
}

/// Writes the report as CSV.
pub fn csv(report: &Report, out: impl std::io::Write) -> Result<(), ::csv::Error> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    for c in &report.controls {
        for r in rows(c) {
            writer.write_record([
                report.framework.as_str(),
                &c.control.id,
                &c.control.title,
                c.status,
                r.row,
                &r.secret,
                &r.record,
                &r.owner,
                &r.decision,
                &r.status,
                &r.why,
                &r.at,
                &r.completed_at,
                &r.due_at,
                &r.seconds,
                &r.evidence,
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}
