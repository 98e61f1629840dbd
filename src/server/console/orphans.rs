//! `GET /ui/orphans`: what governance does not cover. Secrets no record
//! matches (orphans) with what policy decided for them, records that match
//! no secret (dangling), and the accounts discovery found on targets that
//! no governed secret names (unmanaged), with their state and proof.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use tenure_plugin_api::stamp;

use super::layout::{self, Tab, badge, secret_link, when};
use super::session::SignedIn;
use super::{ConsoleError, statuses};
use crate::server::AppState;

/// Rows of each table shown at most (a page stays under 200 KB).
const ROWS: usize = 200;

/// `GET /ui/orphans`.
pub async fn page(State(app): State<AppState>, who: SignedIn) -> Response {
    let reconciler = &app.inner.reconciler;
    let rows = match statuses(reconciler).await {
        Ok(rows) => rows,
        Err(err) => return err.page(),
    };
    let unmanaged = match reconciler.store().unmanaged().await {
        Ok(unmanaged) => unmanaged,
        Err(err) => return ConsoleError::from(err).page(),
    };
    let config = reconciler.config();
    let orphans: Vec<_> = rows.iter().filter(|r| r.record.is_none()).collect();
    let dangling: Vec<_> = config
        .governance
        .records
        .iter()
        .filter(|record| {
            !rows
                .iter()
                .any(|r| r.record.as_deref() == Some(record.id.as_str()))
        })
        .collect();
    let body = html! {
        section.card {
            h2 { "Orphans (" (orphans.len()) ")" }
            p.muted { "Secrets in a vault that no governance record matches: nobody approved them." }
            @if orphans.is_empty() { p.muted { "None." } } @else {
                table {
                    tr { th { "Secret" } th { "Status" } th { "Decision" } th { "Reasons" } }
                    @for row in orphans.iter().take(ROWS) {
                        tr {
                            td { (secret_link(&row.secret)) }
                            td { (badge(row.status)) }
                            td { (badge(row.decision)) }
                            td.mono { (row.reasons.join(", ")) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Records that match no secret (" (dangling.len()) ")" }
            @if dangling.is_empty() { p.muted { "None." } } @else {
                table {
                    tr { th { "Record" } th { "Selector" } th { "Owner" } th { "Approved by" } }
                    @for record in dangling.iter().take(ROWS) {
                        tr {
                            td.mono { (record.id) }
                            td.mono { (record.selector.to_string()) }
                            td { (record.owner) }
                            td { (record.approval.by) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Unmanaged accounts (" (unmanaged.len()) ")" }
            p.muted { "Accounts discovery found on a target that no governed secret names." }
            @if unmanaged.is_empty() { p.muted { "None found (or no target lists its accounts)." } } @else {
                table {
                    tr { th { "Target" } th { "Login" } th { "State" } th { "First seen" } th { "Last seen" } th { "Detail" } }
                    @for account in unmanaged.iter().take(ROWS) {
                        tr {
                            td.mono { (account.target) }
                            td.mono { (account.login) }
                            td { (badge(&account.state)) }
                            td.when { (when(&stamp(account.first_seen))) }
                            td.when { (when(&stamp(account.last_seen))) }
                            td { (account.detail) }
                        }
                    }
                }
            }
        }
    };
    let body = html! {
        @if [orphans.len(), dangling.len(), unmanaged.len()].iter().any(|n| *n > ROWS) {
            p.muted { "Each table shows its first " (ROWS) " rows." }
        }
        (body)
    };
    layout::page(&who, Tab::Orphans, "Orphans and unmanaged accounts", body)
}
