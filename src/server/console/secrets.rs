//! `GET /ui/secrets?q=&page=`: every secret of the last pass with its
//! status, decision and reasons, filtered by a search (a GET form, so the
//! URL can be shared): the words must all appear, in any case, among the
//! address, owner, record, decision, status and reasons. 100 rows a page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::layout::{self, Tab, badge, secret_link, when_or_dash};
use super::session::SignedIn;
use super::statuses;
use crate::server::AppState;
use crate::status::SecretStatus;

/// Rows on one page.
const PAGE: usize = 100;

/// The search form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    q: Option<String>,
    page: Option<usize>,
}

/// Whether `row` matches every word of `query`.
fn matches(row: &SecretStatus, query: &str) -> bool {
    let haystack = [
        Some(row.secret.as_str()),
        row.owner.as_deref(),
        row.record.as_deref(),
        Some(row.decision),
        Some(row.status),
    ]
    .into_iter()
    .flatten()
    .chain(row.reasons.iter().copied())
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase();
    query
        .split_whitespace()
        .all(|word| haystack.contains(&word.to_lowercase()))
}

fn href(query: &str, page: usize) -> String {
    let encoded: String = serde_urlencoded::to_string([("q", query)]).unwrap_or_default();
    format!("/ui/secrets?{encoded}&page={page}")
}

/// `GET /ui/secrets`.
pub async fn list(
    State(app): State<AppState>,
    who: SignedIn,
    search: Result<Query<Search>, QueryRejection>,
) -> Response {
    let search = search.map(|Query(s)| s).unwrap_or_default();
    let query = search.q.unwrap_or_default();
    let rows = match statuses(&app.inner.reconciler).await {
        Ok(rows) => rows,
        Err(err) => return err.page(),
    };
    let found: Vec<&SecretStatus> = rows.iter().filter(|r| matches(r, &query)).collect();
    let pages = found.len().div_ceil(PAGE).max(1);
    let page = search.page.unwrap_or(1).clamp(1, pages);
    let shown = found.iter().skip((page - 1) * PAGE).take(PAGE);
    let body = html! {
        form.search method="get" action="/ui/secrets" role="search" {
            input type="search" name="q" value=(query) placeholder="address, owner, record, decision, status or reason" aria-label="Search secrets";
            button type="submit" { "Search" }
        }
        p.muted {
            (found.len()) " of " (rows.len()) " secrets"
            @if !query.is_empty() { " match “" (query) "”" }
            "."
        }
        table {
            tr {
                th { "Secret" } th { "Status" } th { "Decision" } th { "Reasons" }
                th { "Owner" } th { "Record" } th { "Next due" } th { "Attested" }
            }
            @for row in shown {
                tr {
                    td { (secret_link(&row.secret)) }
                    td { (badge(row.status)) }
                    td { (badge(row.decision)) }
                    td.mono { (row.reasons.join(", ")) }
                    td { (row.owner.as_deref().unwrap_or("—")) }
                    td.mono { (row.record.as_deref().unwrap_or("—")) }
                    td.when { (when_or_dash(row.next_due.as_deref())) }
                    td { @if let Some(result) = row.attestation { (badge(result)) } @else { "—" } }
                }
            }
        }
        @if pages > 1 {
            p.pager {
                @if page > 1 { a href=(href(&query, page - 1)) { "← Previous" } }
                span.muted { "Page " (page) " of " (pages) }
                @if page < pages { a href=(href(&query, page + 1)) { "Next →" } }
            }
        }
    };
    layout::page(&who, Tab::Secrets, "Secrets", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> SecretStatus {
        SecretStatus {
            secret: "local:legacy/ftp-password".to_owned(),
            status: "pending_approval",
            decision: "revoke",
            reasons: vec!["workload_decommissioned"],
            next_due: None,
            last_rotated: None,
            expires_at: None,
            record: Some("ftp-bridge".to_owned()),
            owner: Some("carol@example.com".to_owned()),
            last_attested: None,
            attestation: None,
            approval: None,
        }
    }

    #[test]
    fn every_word_must_match_some_field_in_any_case() {
        for query in [
            "",
            "FTP",
            "carol revoke",
            "ftp-bridge",
            "decommissioned",
            "pending",
        ] {
            assert!(matches(&row(), query), "{query}");
        }
        for query in ["orders", "carol rotate"] {
            assert!(!matches(&row(), query), "{query}");
        }
        assert_eq!(href("a b&c", 2), "/ui/secrets?q=a+b%26c&page=2");
    }
}
