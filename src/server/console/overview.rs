//! `GET /ui/`: the overview. Counts by status, decision and attestation
//! result (the last pass, as `GET /v1/secrets` serves it), rotations and
//! revocations per day and the time-to-revoke distribution over the last
//! 30 days of the audit trail, the next due dates, and what drifted or is
//! unmanaged.

use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};
use maud::{Markup, html};

use super::charts::{Bar, Series, bars, columns};
use super::layout::{self, Tab, badge, day_or_dash, seconds, secret_link, when_or_dash};
use super::session::SignedIn;
use super::stats::{self, BUCKETS, TrailStats};
use super::{ConsoleError, statuses, trail};
use crate::approvals::ApprovalStatus;
use crate::server::AppState;
use crate::state::UnmanagedRow;
use crate::status::SecretStatus;

/// The trail window the overview counts, in days.
const WINDOW_DAYS: u64 = 30;
/// Rows of the due-date and drift tables.
const ROWS: usize = 8;

const STATUSES: [&str; 5] = [
    "active",
    "rotating",
    "pending_approval",
    "revoked",
    "quarantined",
];
const DECISIONS: [&str; 6] = [
    "compliant",
    "rotate",
    "narrow",
    "retire",
    "revoke",
    "escalate",
];
const ATTESTATIONS: [&str; 4] = ["ok", "drift", "unavailable", "never"];

fn counts(words: &[&str], of: impl Fn(&SecretStatus) -> &str, rows: &[SecretStatus]) -> Vec<Bar> {
    words
        .iter()
        .map(|word| Bar {
            label: word.replace('_', " "),
            value: rows.iter().filter(|r| of(r) == *word).count() as u64,
            class: layout::tone(word),
        })
        .collect()
}

/// `GET /ui/`.
pub async fn page(State(app): State<AppState>, who: SignedIn) -> Response {
    match gather(&app).await {
        Ok(view) => layout::page(&who, Tab::Overview, "Overview", render(&view)),
        Err(err) => err.page(),
    }
}

struct View {
    rows: Vec<SecretStatus>,
    pending: usize,
    unmanaged: Vec<UnmanagedRow>,
    stats: TrailStats,
}

async fn gather(app: &AppState) -> Result<View, ConsoleError> {
    let reconciler = &app.inner.reconciler;
    let rows = statuses(reconciler).await?;
    let store = reconciler.store();
    let pending = store
        .approvals()
        .await?
        .iter()
        .filter(|a| a.status == ApprovalStatus::Pending)
        .count();
    let unmanaged = store.unmanaged().await?;
    let now = Utc::now();
    let from = now - Duration::days(WINDOW_DAYS as i64);
    let entries = trail(&reconciler.config(), None, Some(from)).await?;
    Ok(View {
        rows,
        pending,
        unmanaged,
        stats: stats::of(&entries, now, WINDOW_DAYS),
    })
}

fn figure(value: usize, label: &str) -> Markup {
    html! { div.figure { b { (value) } span { (label) } } }
}

fn render(view: &View) -> Markup {
    let rows = &view.rows;
    let needs_action = rows
        .iter()
        .filter(|r| r.decision != "compliant" && r.status != "revoked")
        .count();
    let drift: Vec<&SecretStatus> = rows
        .iter()
        .filter(|r| r.attestation == Some("drift"))
        .collect();
    let found: Vec<&UnmanagedRow> = view
        .unmanaged
        .iter()
        .filter(|u| u.state == "found")
        .collect();
    let orphans = rows.iter().filter(|r| r.record.is_none()).count();
    let mut due: Vec<&SecretStatus> = rows
        .iter()
        .filter(|r| r.next_due.is_some() && r.status != "revoked")
        .collect();
    due.sort_by(|a, b| a.next_due.cmp(&b.next_due));
    let stats = &view.stats;
    let labels: Vec<String> = stats
        .days
        .iter()
        .map(|d| d.format("%m-%d").to_string())
        .collect();
    let buckets: Vec<String> = BUCKETS
        .iter()
        .map(|(_, label)| (*label).to_owned())
        .collect();
    let distribution = stats.distribution();
    html! {
        div.figures {
            (figure(rows.len(), "secrets"))
            (figure(needs_action, "need action"))
            (figure(view.pending, "pending approvals"))
            (figure(drift.len(), "drifted"))
            (figure(orphans, "orphans"))
            (figure(found.len(), "unmanaged accounts"))
        }
        div.grid {
            section.card {
                h2 { "By status" }
                (bars("Secrets by status", &counts(&STATUSES, |r| r.status, rows)))
            }
            section.card {
                h2 { "By decision" }
                (bars("Secrets by decision", &counts(&DECISIONS, |r| r.decision, rows)))
            }
            section.card {
                h2 { "Rotations and revocations, last " (WINDOW_DAYS) " days" }
                (columns("Rotations and revocations per day", &labels, &[
                    Series { name: "rotations", values: &stats.rotations },
                    Series { name: "revocations", values: &stats.revocations },
                ], 7))
            }
            section.card {
                h2 { "Time to revoke, last " (WINDOW_DAYS) " days" }
                (columns("Revocations by time from decision to proof", &buckets, &[
                    Series { name: "revocations", values: &distribution },
                ], 1))
                p.muted {
                    (stats.time_to_revoke.len())
                    @if stats.time_to_revoke.len() == 1 { " revocation" } @else { " revocations" }
                    @if let (Some(p50), Some(p90)) = (stats.percentile(50), stats.percentile(90)) {
                        " · p50 " (seconds(p50)) " · p90 " (seconds(p90))
                    }
                    ". From the first decision to revoke to the proof that the vault refuses the secret."
                }
            }
            section.card {
                h2 { "Attestation" }
                (bars("Secrets by latest attestation", &counts(&ATTESTATIONS, |r| r.attestation.unwrap_or("never"), rows)))
            }
            section.card {
                h2 { "Upcoming due dates" }
                @if due.is_empty() {
                    p.muted { "Nothing is due." }
                } @else {
                    table {
                        tr { th { "Secret" } th { "Due" } th { "Decision" } }
                        @for row in due.iter().take(ROWS) {
                            tr {
                                td { (secret_link(&row.secret)) }
                                td.when title=(when_or_dash(row.next_due.as_deref())) { (day_or_dash(row.next_due.as_deref())) }
                                td { (badge(row.decision)) }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "Drift and unmanaged accounts" }
                @if drift.is_empty() && found.is_empty() {
                    p.muted { "No drift found and no unmanaged account." }
                } @else {
                    table {
                        tr { th { "What" } th { "Where" } th { "Since" } }
                        @for row in drift.iter().take(ROWS) {
                            tr {
                                td { (badge("drift")) }
                                td { (secret_link(&row.secret)) }
                                td.when title=(when_or_dash(row.last_attested.as_deref())) { (day_or_dash(row.last_attested.as_deref())) }
                            }
                        }
                        @for account in found.iter().take(ROWS) {
                            tr {
                                td { (badge("unmanaged")) }
                                td.mono { (account.target) "/" (account.login) }
                                td.when { (account.first_seen.format("%Y-%m-%d")) }
                            }
                        }
                    }
                    p { a href="/ui/orphans" { "All orphans and unmanaged accounts" } }
                }
            }
        }
    }
}
