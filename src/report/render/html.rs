//! The report as one self-contained HTML page: inline CSS, no scripts, no
//! external assets, readable offline and printable. Every value is escaped.

use crate::html::escape;
use std::fmt::Write;

use tenure_plugin_api::stamp;

use super::super::{ControlReport, Report};
use super::seconds;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:75em;padding:0 1em;color:#1d2330}\
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #dde;padding-bottom:.2em}\
h3{font-size:1.05em;margin:1.2em 0 .4em}table{border-collapse:collapse;width:100%;margin:.4em 0 1em}\
th,td{border:1px solid #d5d9e2;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f1f3f7}\
code{font-size:.85em;word-break:break-all}.muted{color:#5b6475}.badge{display:inline-block;padding:.05em .6em;\
border-radius:.8em;font-size:.85em;font-weight:600}.pass,.met,.on_time,.compliant{background:#dcf3e3;color:#125c2b}\
.fail,.late,.out_of_policy,.open{background:#fbe0e0;color:#8a1616}.unavailable,.incomplete{background:#fff1cc;color:#6b4e00}\
.empty,.excepted,.proven,.no_due_time{background:#e6e9f0;color:#2f3850}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}\
dt{font-weight:600}dd{margin:0}@media print{h2{break-before:page}}";

fn badge(status: &str) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", escape(status))
}

fn hashes<'a>(list: impl IntoIterator<Item = &'a str>) -> String {
    let shown: Vec<String> = list
        .into_iter()
        .map(|h| format!("<code>{}</code>", escape(h)))
        .collect();
    if shown.is_empty() {
        "<span class=\"muted\">none in the trail</span>".to_owned()
    } else {
        shown.join("<br>")
    }
}

/// A table: the header cells, then rows of already-escaped cells.
fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>");
        return;
    }
    out.push_str("<table><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn checks(c: &ControlReport) -> String {
    let k = &c.control;
    let mut parts = Vec::new();
    if !k.out_of_policy.is_empty() {
        let names: Vec<&str> = k.out_of_policy.iter().map(|r| r.as_str()).collect();
        parts.push(format!(
            "out of policy when the decision names {}",
            names.join(", ")
        ));
    }
    if let Some(d) = k.max_age_days {
        parts.push(format!("a lifetime of at most {d} days"));
    }
    if let Some(d) = k.unused_days {
        parts.push(format!("disabled after {d} days unused"));
    }
    if let Some(w) = k.revoke_within {
        parts.push(format!(
            "revocation proven within {}",
            humantime::format_duration(w)
        ));
    }
    if !k.target_types.is_empty() {
        parts.push(format!("targets of type {}", k.target_types.join(", ")));
    }
    escape(&parts.join("; "))
}

fn control(out: &mut String, c: &ControlReport) {
    let k = &c.control;
    let _ = write!(
        out,
        "<h2 id=\"{id}\">{id} {title} {badge}</h2><p>{req}</p><p class=\"muted\">Checks: {checks}. Population: {pop} ({n}).</p>",
        id = escape(&k.id),
        title = escape(&k.title),
        badge = badge(c.status),
        req = escape(&k.requirement),
        checks = checks(c),
        pop = if k.population == super::super::Population::All {
            "every secret"
        } else {
            "governed secrets"
        },
        n = c.population.len(),
    );
    out.push_str("<h3>Out of policy</h3>");
    let findings = |list: &[super::super::Finding]| -> Vec<Vec<String>> {
        list.iter()
            .map(|f| {
                vec![
                    format!("<code>{}</code>", escape(&f.secret)),
                    escape(f.record.as_deref().unwrap_or("-")),
                    escape(f.owner.as_deref().unwrap_or("-")),
                    badge(f.decision),
                    escape(&f.why.join("; ")),
                    hashes(f.evidence.as_deref()),
                ]
            })
            .collect()
    };
    let head = [
        "secret",
        "record",
        "owner",
        "decision",
        "why",
        "decision entry",
    ];
    table(out, &head, &findings(&c.out_of_policy));
    if !c.unavailable.is_empty() {
        out.push_str("<h3>Could not be checked (unavailable, never compliant)</h3>");
        table(out, &head, &findings(&c.unavailable));
    }
    out.push_str("<h3>Exceptions</h3>");
    let rows: Vec<Vec<String>> = c
        .exceptions
        .iter()
        .map(|x| {
            vec![
                format!("<code>{}</code>", escape(&x.secret)),
                escape(&x.record),
                escape(&x.waived.join("; ")),
                escape(&x.approved_by),
                escape(&x.reason),
                escape(&x.until),
                hashes(x.evidence.as_deref()),
            ]
        })
        .collect();
    table(
        out,
        &[
            "secret",
            "record",
            "waives",
            "approved by",
            "reason",
            "until",
            "decision entry",
        ],
        &rows,
    );
    if let Some(t) = &c.time_to_revoke {
        let pct = |v: Option<i64>| v.map_or("-".to_owned(), seconds);
        let _ = write!(
            out,
            "<h3>Time to revoke</h3><p>{} causes: {} proven ({} within the limit, {} late), {} open ({} past the limit). Limit: {}. p50 {}, p90 {}, p99 {}, max {}.</p>",
            t.events.len(),
            t.proven,
            t.met,
            t.late,
            t.open,
            t.open_past_limit,
            escape(t.revoke_within.as_deref().unwrap_or("none")),
            pct(t.p50_seconds),
            pct(t.p90_seconds),
            pct(t.p99_seconds),
            pct(t.max_seconds),
        );
        let rows: Vec<Vec<String>> = t
            .events
            .iter()
            .map(|e| {
                let r = &e.revocation;
                vec![
                    format!("<code>{}</code>", escape(&r.secret)),
                    escape(&format!("{} ({})", r.cause, r.source)),
                    escape(&stamp(r.at)),
                    r.proven_at.map_or("-".to_owned(), |p| escape(&stamp(p))),
                    r.seconds
                        .or(e.open_for_seconds)
                        .map_or("-".to_owned(), seconds),
                    badge(e.status),
                    escape(r.proof_check.as_deref().unwrap_or("-")),
                    hashes(std::iter::once(r.cause_entry.as_str()).chain(r.proof_entry.as_deref())),
                ]
            })
            .collect();
        table(
            out,
            &[
                "secret",
                "cause",
                "at",
                "proven at",
                "took",
                "status",
                "proof",
                "cause entry, proof entry",
            ],
            &rows,
        );
    }
    if let Some(f) = &c.rotations {
        let _ = write!(
            out,
            "<h3>Rotations</h3><p>{} on time, {} late, {} incomplete, {} without a due time, {} unavailable.</p>",
            f.on_time, f.late, f.incomplete, f.no_due_time, f.unavailable
        );
        let rows: Vec<Vec<String>> = f
            .rotations
            .iter()
            .map(|r| {
                vec![
                    format!("<code>{}</code>", escape(&r.secret)),
                    escape(&r.reasons.join(", ")),
                    r.due_at.map_or("-".to_owned(), |d| {
                        escape(&format!(
                            "{} ({})",
                            stamp(d),
                            r.due_by.as_deref().unwrap_or("")
                        ))
                    }),
                    r.completed_at.map_or("-".to_owned(), |d| escape(&stamp(d))),
                    badge(r.status),
                    hashes(
                        std::iter::once(r.start_entry.as_str())
                            .chain(r.completion_entry.as_deref()),
                    ),
                ]
            })
            .collect();
        table(
            out,
            &[
                "secret",
                "why",
                "due",
                "completed",
                "status",
                "start entry, promote entry",
            ],
            &rows,
        );
    }
    out.push_str("<h3>Population</h3>");
    let rows: Vec<Vec<String>> = c
        .population
        .iter()
        .map(|m| {
            vec![
                format!("<code>{}</code>", escape(&m.secret)),
                escape(m.record.as_deref().unwrap_or("-")),
                badge(m.decision),
                badge(m.status),
            ]
        })
        .collect();
    table(out, &["secret", "record", "decision", "status"], &rows);
}

/// The report as a self-contained HTML page.
pub fn html(report: &Report) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let title = format!("{}: control report", report.title);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1><p>{about}</p><dl>\
         <dt>Framework</dt><dd><code>{name}</code> ({source})</dd><dt>Generated</dt><dd>{at}</dd><dt>Figures window</dt><dd>{from} to {to}</dd>\
         <dt>Audit trail</dt><dd><code>{log}</code>, {n} entries, last entry <code>{head}</code></dd></dl>\
         <p class=\"muted\">Every hash names an entry of the audit trail. Check the trail on any machine with the public key alone: \
         <code>tenure audit verify --trail audit.jsonl --pubkey audit-pub.pem</code>.</p>",
        t = escape(&title),
        about = escape(&report.about),
        name = escape(&report.framework),
        source = escape(&report.source),
        at = escape(&stamp(report.generated_at)),
        from = report
            .from
            .map_or("the beginning".to_owned(), |f| escape(&stamp(f))),
        to = report.to.map_or("now".to_owned(), |t| escape(&stamp(t))),
        log = escape(&report.audit_log),
        n = report.trail_entries,
        head = escape(report.trail_head.as_deref().unwrap_or("none")),
    );
    let s = &report.summary;
    let _ = write!(
        out,
        "<h2>Summary</h2><p>{} controls: {} pass, {} fail, {} unavailable, {} empty.</p>",
        s.controls, s.pass, s.fail, s.unavailable, s.empty
    );
    let rows: Vec<Vec<String>> = report
        .controls
        .iter()
        .map(|c| {
            vec![
                format!("<a href=\"#{0}\">{0}</a>", escape(&c.control.id)),
                escape(&c.control.title),
                badge(c.status),
                c.population.len().to_string(),
                c.out_of_policy.len().to_string(),
                c.exceptions.len().to_string(),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "control",
            "title",
            "status",
            "population",
            "out of policy",
            "exceptions",
        ],
        &rows,
    );
    for c in &report.controls {
        control(&mut out, c);
    }
    out.push_str("</body></html>\n");
    out
}
