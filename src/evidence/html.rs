//! [`render`]: the evidence as one self-contained HTML page an auditor
//! opens offline: inline CSS, no script to run, no external asset (a
//! Content-Security-Policy forbids loading any). The same JSON document is
//! embedded in a `<script type="application/json" id="evidence">` block
//! (data, never run), so `tenure evidence verify` checks the page too and
//! re-renders it to prove the visible part matches what it embeds.

use std::fmt::Write;

use super::model::{ChainView, Evidence, EvidenceEntry, LineageView, RecordView, StandingView};

/// Where the embedded document starts: [`embedded`] looks for this.
pub const SCRIPT_OPEN: &str = r#"<script type="application/json" id="evidence">"#;
const SCRIPT_CLOSE: &str = "</script>";

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1f24;margin:2rem auto;max-width:80rem;padding:0 1rem}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\
dl{display:grid;grid-template-columns:14rem 1fr;gap:.25rem 1rem;margin:.5rem 0}dt{color:#57606a}dd{margin:0}\
table{border-collapse:collapse;width:100%;margin-top:.5rem}th,td{border:1px solid #d0d7de;padding:.3rem .45rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfcfd}\
.hash{word-break:break-all;font-size:.78em}.t{white-space:nowrap}.muted{color:#57606a}.note{color:#57606a;font-size:.9em}\
.ok{color:#116329;font-weight:600}.bad{color:#a40e26;font-weight:600}\
@media print{body{margin:0;max-width:none}tr{break-inside:avoid}}";

pub use crate::html::escape;

/// One `<dt>`/`<dd>` pair; the value is escaped.
fn row(out: &mut String, term: &str, value: &str) {
    let _ = write!(out, "<dt>{term}</dt><dd>{}</dd>", escape(value));
}

fn or_none(value: Option<&str>) -> &str {
    value.unwrap_or("none")
}

fn standing(s: &StandingView) -> String {
    match &s.since {
        Some(since) => format!("{} ({} since {since})", s.id, s.status),
        None => format!("{} ({})", s.id, s.status),
    }
}

fn record(out: &mut String, record: &RecordView) {
    out.push_str("<dl>");
    row(out, "Record", &record.id);
    row(out, "Governs", &record.selector);
    row(out, "Owner", &standing(&record.owner));
    if let Some(group) = &record.owner_group {
        row(out, "Owner group", group);
    }
    row(out, "Purpose", &record.purpose);
    let workloads: Vec<String> = record.workloads.iter().map(standing).collect();
    let workloads = workloads.join(", ");
    row(
        out,
        "Approved workloads",
        if workloads.is_empty() {
            "none"
        } else {
            &workloads
        },
    );
    row(out, "Target", &record.target);
    row(out, "Account", or_none(record.account.as_deref()));
    let scopes = record.scopes.join(", ");
    row(
        out,
        "Approved scopes",
        if scopes.is_empty() { "none" } else { &scopes },
    );
    row(out, "Maximum age", or_none(record.max_age.as_deref()));
    row(out, "Schedule", or_none(record.schedule.as_deref()));
    row(out, "Approval expires", or_none(record.expires.as_deref()));
    out.push_str("</dl>");
}

fn lineage(out: &mut String, lineage: &LineageView) {
    out.push_str("<dl>");
    row(out, "Approved by", &lineage.approval.by);
    row(out, "Approved at", &lineage.approval.at);
    row(out, "Ticket", or_none(lineage.approval.ticket.as_deref()));
    row(out, "Review by", or_none(lineage.review_by.as_deref()));
    let review = lineage.last_review.as_ref().map(|r| {
        let mut text = format!(
            "{} by {} at {}",
            r.decision.as_str(),
            r.reviewer,
            tenure_plugin_api::stamp(r.at)
        );
        if let Some(ticket) = &r.ticket {
            let _ = write!(text, ", ticket {ticket}");
        }
        if let Some(next) = r.next_review {
            let _ = write!(text, "; next review {}", tenure_plugin_api::stamp(next));
        }
        text
    });
    row(out, "Last review", or_none(review.as_deref()));
    let exception = lineage.exception.as_ref().map(|e| {
        format!(
            "approved by {} until {} ({}): {}",
            e.approved_by,
            e.until,
            if e.in_force { "in force" } else { "expired" },
            e.reason
        )
    });
    row(out, "Exception", or_none(exception.as_deref()));
    out.push_str("</dl>");
}

fn chain(out: &mut String, chain: &ChainView) {
    if chain.verified() {
        out.push_str(
            r#"<p class="ok">The whole trail verified when this evidence was written.</p>"#,
        );
    } else {
        let _ = write!(
            out,
            r#"<p class="bad">The trail FAILED verification when this evidence was written: {}</p>"#,
            escape(or_none(chain.problem.as_deref()))
        );
    }
    out.push_str("<dl>");
    row(out, "Entries in the trail", &chain.entries.to_string());
    row(out, "Head", or_none(chain.head.as_deref()));
    row(out, "Signed entries", &chain.checkpoints.to_string());
    let signatures = match (&chain.key, chain.signatures_checked) {
        (Some(key), true) => format!("checked with the audit key {key}"),
        _ => "not checked (no audit key)".to_owned(),
    };
    row(out, "Signatures", &signatures);
    let head = if chain.head_checked {
        "checked"
    } else {
        "not checked"
    };
    row(out, "Head file", head);
    match &chain.checkpoint {
        Some(checkpoint) => {
            row(out, "Checkpoint entry", &checkpoint.seq.to_string());
            let _ = write!(
                out,
                r#"<dt>Checkpoint hash</dt><dd><code class="hash">{}</code></dd>"#,
                escape(&checkpoint.hash)
            );
            let sig = super::words::describe(&checkpoint.sig);
            let _ = write!(
                out,
                r#"<dt>Checkpoint signature</dt><dd><code class="hash">{}</code></dd>"#,
                escape(&sig)
            );
        }
        None => row(out, "Checkpoint", "none (no signed entry)"),
    }
    out.push_str("</dl>");
}

fn entry_row(out: &mut String, entry: &EvidenceEntry) {
    let relation = match entry.relation.as_str() {
        "secret" => String::new(),
        "subject" => r#"<br><small class="muted">an approval about it</small>"#.to_owned(),
        other => format!(
            r#"<br><small class="muted">about its record ({})</small>"#,
            escape(other)
        ),
    };
    let run = entry.run.as_deref().map_or_else(String::new, |run| {
        format!(r#"<br><small class="muted">run {}</small>"#, escape(run))
    });
    let _ = write!(
        out,
        r#"<tr id="seq-{seq}"><td>{seq}</td><td class="t">{ts}</td><td>{kind}{run}{relation}</td><td>{summary}</td><td>{proof}</td><td><code class="hash">{hash}</code></td></tr>"#,
        seq = entry.seq,
        ts = escape(&entry.ts),
        kind = escape(&entry.kind),
        summary = escape(&entry.summary),
        proof = escape(entry.proof.as_deref().unwrap_or("")),
        hash = escape(&entry.hash),
    );
}

/// The document as JSON safe inside a `<script>` block: `<`, `>` and `&`
/// (which JSON has only inside strings) written as `\u` escapes.
fn embedded_json(evidence: &Evidence) -> String {
    serde_json::to_string(evidence)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The embedded document's JSON text in `page`, if it has one.
pub fn embedded(page: &str) -> Option<&str> {
    let start = page.find(SCRIPT_OPEN)? + SCRIPT_OPEN.len();
    let len = page[start..].find(SCRIPT_CLOSE)?;
    Some(&page[start..start + len])
}

/// The evidence page.
pub fn render(evidence: &Evidence) -> String {
    let mut out = String::with_capacity(16 * 1024 + evidence.entries.len() * 2048);
    let secret = escape(&evidence.secret);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>Evidence: {secret}</title><style>{STYLE}</style></head><body>\n"
    );
    let window = match (&evidence.window.from, &evidence.window.to) {
        (None, None) => "every entry".to_owned(),
        (from, to) => format!(
            "entries from {} to {}",
            from.as_deref().unwrap_or("the start"),
            to.as_deref().unwrap_or("the end")
        ),
    };
    let _ = writeln!(
        out,
        "<header><h1>Evidence for <code>{secret}</code></h1><p class=\"muted\">Written {} by {}; {}.</p></header>",
        escape(&evidence.generated_at),
        escape(&evidence.generator),
        escape(&window)
    );
    out.push_str("<section><h2>Governance record</h2>");
    match &evidence.record {
        Some(view) => record(&mut out, view),
        None => out.push_str("<p>No governance record governs this secret: it is an orphan.</p>"),
    }
    if let Some(view) = &evidence.lineage {
        out.push_str("<h2>Approval lineage</h2>");
        lineage(&mut out, view);
    }
    let _ = write!(
        out,
        "<p class=\"note\">{}</p></section>\n<section><h2>Chain verification</h2>",
        escape(&evidence.record_source)
    );
    chain(&mut out, &evidence.chain);
    out.push_str("<p class=\"note\">Every entry below is its audit line, signed on its own. To check this file on another machine with only the public key: <code>tenure evidence verify FILE --pubkey tenure-audit.pub.pem</code>.</p></section>\n");
    let _ = writeln!(
        out,
        "<section><h2>Audit entries ({})</h2><table><thead><tr><th>Seq</th><th>Time</th><th>Kind</th><th>What happened</th><th>Proof</th><th>Entry hash</th></tr></thead><tbody>",
        evidence.entries.len()
    );
    for entry in &evidence.entries {
        entry_row(&mut out, entry);
        out.push('\n');
    }
    if evidence.entries.is_empty() {
        out.push_str("<tr><td colspan=\"6\">No entry in this window.</td></tr>\n");
    }
    out.push_str("</tbody></table></section>\n");
    let _ = write!(
        out,
        "{SCRIPT_OPEN}{}{SCRIPT_CLOSE}\n</body></html>\n",
        embedded_json(evidence)
    );
    out
}
