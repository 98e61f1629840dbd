//! `GET /ui/secrets/{address}` (the address percent-encoded): one secret's
//! status and decision, its governance record and approval lineage (who
//! approved it, when, under which ticket; review date, last review,
//! exception), its approval requests, and the timeline of every audit
//! entry that names it.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use tenure_plugin_api::stamp;

use super::approvals::decide_buttons;
use super::layout::{self, Tab, badge, when, when_or_dash};
use super::session::SignedIn;
use super::{statuses, timeline, trail};
use crate::governance::Record;
use crate::server::AppState;
use crate::status::SecretStatus;

/// The link to the secret's evidence: one HTML page, as `tenure evidence
/// --format html` writes it, verifiable offline with the public key.
fn evidence_link(address: &str) -> Markup {
    html! {
        a href=(format!("{}/evidence", layout::secret_href(address))) download {
            "Download the evidence (one HTML page, verifiable offline with "
            code { "tenure evidence verify" } ")"
        }
    }
}

/// `GET /ui/secrets/{address}/evidence`: the secret's evidence as one HTML
/// page, downloaded.
pub async fn evidence(
    State(app): State<AppState>,
    _who: SignedIn,
    address: Result<Path<String>, PathRejection>,
) -> Response {
    let secret = match address
        .ok()
        .and_then(|Path(a)| a.parse::<tenure_plugin_api::SecretAddress>().ok())
    {
        Some(secret) => secret,
        None => {
            return layout::message(
                StatusCode::BAD_REQUEST,
                "Not a secret address",
                "The address is not <provider>:<path>.",
            );
        }
    };
    let name: String = secret
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut response =
        crate::server::evidence::answer(&app, secret, crate::evidence::Format::Html, None, None)
            .await;
    if response.status() == StatusCode::OK
        && let Ok(value) = axum::http::HeaderValue::from_str(&format!(
            "attachment; filename=\"evidence-{name}.html\""
        ))
    {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /ui/secrets/{address}`.
pub async fn page(
    State(app): State<AppState>,
    who: SignedIn,
    address: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(address)) = address else {
        return layout::message(
            StatusCode::BAD_REQUEST,
            "Bad address",
            "The address is not valid UTF-8.",
        );
    };
    let reconciler = &app.inner.reconciler;
    let rows = match statuses(reconciler).await {
        Ok(rows) => rows,
        Err(err) => return err.page(),
    };
    let Some(row) = rows.into_iter().find(|r| r.secret == address) else {
        return layout::message(
            StatusCode::NOT_FOUND,
            "No such secret",
            &format!("{address} was not in the last pass's inventory."),
        );
    };
    let config = reconciler.config();
    let record = row
        .record
        .as_deref()
        .and_then(|id| config.governance.records.iter().find(|r| r.id == id));
    let requests = match reconciler.store().approvals().await {
        Ok(all) => all
            .into_iter()
            .filter(|a| a.subject == address)
            .collect::<Vec<_>>(),
        Err(err) => return super::ConsoleError::from(err).page(),
    };
    let entries = match trail(&config, Some(address.clone()), None).await {
        Ok(entries) => entries,
        Err(err) => return err.page(),
    };
    let body = html! {
        p { (evidence_link(&address)) }
        div.grid {
            section.card { h2 { "Status" } (status(&row)) }
            section.card {
                h2 { "Governance record" }
                @match record {
                    Some(record) => (lineage(record)),
                    None => p.error { "No governance record matches this secret: it is an orphan." },
                }
            }
        }
        @if !requests.is_empty() {
            section.card {
                h2 { "Approval requests" }
                table {
                    tr { th { "Action" } th { "Status" } th { "Requested" } th { "Decided" } th {} }
                    @for request in &requests {
                        tr {
                            td { (request.action.as_str()) }
                            td { (badge(request.status.as_str())) }
                            td { (request.requested_by) ", " (when(&stamp(request.requested_at))) }
                            td {
                                (request.decided_by.as_deref().unwrap_or("—"))
                                @if let Some(at) = request.decided_at { ", " (when(&stamp(at))) }
                            }
                            td { (decide_buttons(&who, request)) }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Timeline" }
            p.muted { "Every decision, action, phase, proof, attestation and approval the audit trail records for this secret, newest first." }
            (timeline::render(&entries))
        }
    };
    layout::page(&who, Tab::Secrets, &address, body)
}

fn status(row: &SecretStatus) -> Markup {
    html! {
        dl.facts {
            dt { "Status" } dd { (badge(row.status)) }
            dt { "Decision" } dd { (badge(row.decision)) }
            dt { "Reasons" } dd.mono { @if row.reasons.is_empty() { "—" } @else { (row.reasons.join(", ")) } }
            dt { "Next due" } dd { (when_or_dash(row.next_due.as_deref())) }
            dt { "Expires" } dd { (when_or_dash(row.expires_at.as_deref())) }
            dt { "Last rotated" } dd { (when_or_dash(row.last_rotated.as_deref())) }
            dt { "Last attested" } dd {
                (when_or_dash(row.last_attested.as_deref()))
                @if let Some(result) = row.attestation { " " (badge(result)) }
            }
        }
    }
}

fn lineage(record: &Record) -> Markup {
    let approval = &record.approval;
    html! {
        dl.facts {
            dt { "Record" } dd.mono { (record.id) }
            dt { "Owner" } dd { (record.owner) }
            dt { "Purpose" } dd { (record.purpose) }
            dt { "Target" } dd.mono {
                (record.target)
                @if let Some(account) = &record.account { " · " (account) }
            }
            @if !record.workloads.is_empty() {
                dt { "Workloads" } dd { (record.workloads.join(", ")) }
            }
            @if !record.scopes.is_empty() {
                dt { "Scopes" } dd.mono { (record.scopes.join(", ")) }
            }
            dt { "Approved by" } dd {
                (approval.by) ", " (when(&stamp(approval.at)))
                @if let Some(ticket) = &approval.ticket { " · ticket " span.mono { (ticket) } }
            }
            dt { "Review by" } dd { (when_or_dash(record.review_by.map(stamp).as_deref())) }
            dt { "Last review" } dd {
                @match &record.last_review {
                    Some(review) => {
                        (review.reviewer) ", " (when(&stamp(review.at)))
                        @if let Some(ticket) = &review.ticket { " · ticket " span.mono { (ticket) } }
                    }
                    None => "—",
                }
            }
            @if let Some(exception) = &record.exception {
                dt { "Exception" } dd {
                    (exception.reason) " — approved by " (exception.approved_by)
                    ", until " (when(&stamp(exception.until)))
                }
            }
            @if let Some(expires) = record.expires {
                dt { "Approval ends" } dd { (when(&stamp(expires))) }
            }
        }
    }
}
