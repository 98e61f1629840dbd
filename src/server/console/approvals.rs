//! `GET /ui/approvals`: the four-eyes requests, pending first; and
//! `POST /ui/approvals/{id}/approve|reject`, which decide one as the
//! signed-in operator through the same `Reconciler::decide_approval` the
//! admin API and `tenure approve` use (an approval is carried out at once).
//! The buttons show only to a role with the approve permission, and the
//! server refuses anyone else (403) before anything changes; the requester
//! cannot decide their own request (403), a request no longer pending is a
//! 409.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use tenure_plugin_api::stamp;
use tracing::{info, warn};

use super::layout::{self, Tab, badge, csrf, secret_link, when};
use super::session::{Posted, SignedIn};
use crate::approvals::{Approval, ApprovalStatus};
use crate::server::AppState;
use crate::server::auth::Permission;

/// Decided requests shown below the pending ones.
const RECENT: usize = 50;
/// Pending requests shown at most (a page stays under 200 KB).
const PENDING: usize = 200;

/// The approve and reject buttons of a pending request, for a role that
/// may decide it; otherwise a note.
pub fn decide_buttons(who: &SignedIn, approval: &Approval) -> Markup {
    if approval.status != ApprovalStatus::Pending {
        return html! {};
    }
    if !who.actor.can(Permission::Approve) {
        return html! { span.muted { "Waits for an approver." } };
    }
    let base = format!("/ui/approvals/{}", approval.id);
    html! {
        form.inline method="post" action={ (base) "/approve" } {
            (csrf(who))
            button.primary type="submit" name="decision" value="approve" { "Approve" }
        }
        " "
        form.inline method="post" action={ (base) "/reject" } {
            (csrf(who))
            button.danger type="submit" name="decision" value="reject" { "Reject" }
        }
    }
}

fn table(who: &SignedIn, rows: &[&Approval]) -> Markup {
    html! {
        table {
            tr {
                th { "Subject" } th { "Action" } th { "Reasons" } th { "Status" }
                th { "Requested" } th { "Expires / decided" } th {}
            }
            @for a in rows {
                tr {
                    td {
                        @if a.subject.contains(':') { (secret_link(&a.subject)) } @else { span.mono { (a.subject) } }
                    }
                    td { (a.action.as_str()) }
                    td.mono { (a.reasons.join(", ")) }
                    td { (badge(a.status.as_str())) }
                    td { (a.requested_by) br; span.muted.when { (when(&stamp(a.requested_at))) } }
                    td {
                        @match (&a.decided_by, a.decided_at) {
                            (Some(by), Some(at)) => { (by) br; span.muted.when { (when(&stamp(at))) } }
                            _ => { span.muted { "expires" } br; span.muted.when { (when(&stamp(a.expires_at))) } }
                        }
                    }
                    td { (decide_buttons(who, a)) }
                }
            }
        }
    }
}

/// `GET /ui/approvals`.
pub async fn page(State(app): State<AppState>, who: SignedIn) -> Response {
    let all = match app.inner.reconciler.store().approvals().await {
        Ok(all) => all,
        Err(err) => return super::ConsoleError::from(err).page(),
    };
    let pending: Vec<&Approval> = all
        .iter()
        .filter(|a| a.status == ApprovalStatus::Pending)
        .collect();
    let decided: Vec<&Approval> = all
        .iter()
        .filter(|a| a.status != ApprovalStatus::Pending)
        .take(RECENT)
        .collect();
    let body = html! {
        @if !who.actor.can(Permission::Approve) {
            p.muted { "Your role (" (who.actor.role) ") may read these requests; approving or rejecting needs the approver or admin role." }
        }
        section.card {
            h2 { "Pending (" (pending.len()) ")" }
            @if pending.is_empty() { p.muted { "No request waits for a decision." } } @else {
                @if pending.len() > PENDING { p.muted { "The oldest " (PENDING) " of " (pending.len()) " are shown." } }
                (table(&who, &pending.iter().rev().take(PENDING).rev().copied().collect::<Vec<_>>()))
            }
        }
        section.card {
            h2 { "Decided" }
            @if decided.is_empty() { p.muted { "None yet." } } @else { (table(&who, &decided)) }
        }
    };
    layout::page(&who, Tab::Approvals, "Approvals", body)
}

async fn decide(
    app: &AppState,
    posted: Posted,
    id: Result<Path<String>, PathRejection>,
    approve: bool,
) -> Response {
    let who = posted.session;
    let Ok(Path(id)) = id else {
        return layout::message(
            StatusCode::BAD_REQUEST,
            "Bad request",
            "The request id is not valid UTF-8.",
        );
    };
    if !who.actor.can(Permission::Approve) {
        warn!(actor = %who.actor.name, approval = %id, "Refused a console decision: role {} may not approve.", who.actor.role);
        return layout::message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "Your role ({}) may not approve or reject; nothing was changed.",
                who.actor.role
            ),
        );
    }
    let decided = app
        .inner
        .reconciler
        .decide_approval(&id, &who.actor, approve)
        .await;
    app.inner.wake.notify_one();
    match decided {
        Ok(decided) => {
            let verb = if approve { "Approved" } else { "Rejected" };
            let outcome = decided
                .outcome
                .as_ref()
                .map(|o| {
                    format!(
                        "; the {} ran: {}",
                        decided.approval.action.as_str(),
                        o.label()
                    )
                })
                .unwrap_or_default();
            info!(actor = %who.actor.name, approval = %id, "Operator {} {} approval request {id} in the console.", who.actor.name, verb.to_lowercase());
            app.inner.console.sessions.flash(
                &who.id,
                format!(
                    "{verb} the {} of {}{outcome}.",
                    decided.approval.action.as_str(),
                    decided.approval.subject
                ),
            );
            layout::redirect("/ui/approvals")
        }
        Err(err) => {
            let status = crate::server::approvals::refusal_status(&err);
            warn!(actor = %who.actor.name, approval = %id, status = status.as_u16(), "Refused {}'s console decision on approval request {id}: {err}.", who.actor.name);
            layout::message(status, "Refused", &err.to_string())
        }
    }
}

/// `POST /ui/approvals/{id}/approve`.
pub async fn approve(
    State(app): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    posted: Posted,
) -> Response {
    decide(&app, posted, id, true).await
}

/// `POST /ui/approvals/{id}/reject`.
pub async fn reject(
    State(app): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    posted: Posted,
) -> Response {
    decide(&app, posted, id, false).await
}
