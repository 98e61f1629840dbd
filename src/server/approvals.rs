//! Four-eyes approvals: `GET /v1/approvals` (`?status=pending` and the
//! like), `GET /v1/approvals/{id}`, and `POST /v1/approvals/{id}/approve`
//! or `/reject` (approver). An approval is carried out at once and the
//! answer carries the action's outcome. Refused: 403 when the requester
//! decides their own request, 404 for an unknown id, 409 when the request
//! is no longer pending or expired.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tenure_plugin_api::stamp;
use tracing::warn;

use super::AppState;
use super::admin::{error, path_param};
use super::auth::Actor;
use crate::approvals::{Approval, ApprovalError};
use crate::reconcile::DecideError;

/// One request as the API shows it.
#[derive(Debug, Serialize)]
pub struct ApprovalView {
    id: String,
    subject: String,
    action: &'static str,
    reasons: Vec<String>,
    requested_by: String,
    requested_at: String,
    expires_at: String,
    status: &'static str,
    decided_by: Option<String>,
    decided_at: Option<String>,
}

impl From<&Approval> for ApprovalView {
    fn from(a: &Approval) -> Self {
        Self {
            id: a.id.clone(),
            subject: a.subject.clone(),
            action: a.action.as_str(),
            reasons: a.reasons.clone(),
            requested_by: a.requested_by.clone(),
            requested_at: stamp(a.requested_at),
            expires_at: stamp(a.expires_at),
            status: a.status.as_str(),
            decided_by: a.decided_by.clone(),
            decided_at: a.decided_at.map(stamp),
        }
    }
}

/// `?status=`: only the requests with that status.
#[derive(Debug, Deserialize)]
pub struct Filter {
    status: Option<String>,
}

const STATUSES: [&str; 6] = [
    "pending", "approved", "rejected", "expired", "stale", "used",
];

/// Every request, newest first.
pub async fn list(
    State(app): State<AppState>,
    filter: Result<Query<Filter>, QueryRejection>,
) -> Response {
    let status = match filter {
        Ok(Query(Filter { status })) => status,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    if let Some(status) = status.as_deref()
        && !STATUSES.contains(&status)
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!("status {status:?} is not one of {}", STATUSES.join(", ")),
        );
    }
    match app.inner.reconciler.store().approvals().await {
        Ok(all) => Json(
            all.iter()
                .filter(|a| status.as_deref().is_none_or(|s| a.status.as_str() == s))
                .map(ApprovalView::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err),
    }
}

/// One request.
pub async fn get(State(app): State<AppState>, id: Result<Path<String>, PathRejection>) -> Response {
    let id = match path_param(id) {
        Ok(id) => id,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    match app.inner.reconciler.store().approval(&id).await {
        Ok(Some(approval)) => Json(ApprovalView::from(&approval)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, DecideError::NotFound(id.clone())),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err),
    }
}

async fn decide(
    app: &AppState,
    actor: &Actor,
    id: Result<Path<String>, PathRejection>,
    approve: bool,
) -> Response {
    let id = match path_param(id) {
        Ok(id) => id,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let decided = app
        .inner
        .reconciler
        .decide_approval(&id, actor, approve)
        .await;
    app.inner.wake.notify_one();
    match decided {
        Ok(decided) => {
            let detail = decided.outcome.as_ref().and_then(|o| match o {
                crate::workflow::Outcome::RetryLater { error, .. }
                | crate::workflow::Outcome::RolledBack { error }
                | crate::workflow::Outcome::Failed { error }
                | crate::workflow::Outcome::Unsupported { error } => Some(error.clone()),
                _ => None,
            });
            Json(serde_json::json!({
                "approval": ApprovalView::from(&decided.approval),
                "outcome": decided.outcome.as_ref().map(crate::workflow::Outcome::label),
                "detail": detail,
            }))
            .into_response()
        }
        Err(err) => {
            let status = refusal_status(&err);
            warn!(approval = %id, actor = %actor.name, status = status.as_u16(), "Refused {}'s decision on approval request {id}: {err}.", actor.name);
            error(status, err)
        }
    }
}

/// The status that answers a refused decision: 404 unknown, 403 the
/// requester's own, 409 no longer pending or expired, 500 a failure.
pub(super) fn refusal_status(err: &DecideError) -> StatusCode {
    match err {
        DecideError::NotFound(_) => StatusCode::NOT_FOUND,
        DecideError::Refused(ApprovalError::OwnRequest(_)) => StatusCode::FORBIDDEN,
        DecideError::Refused(_) => StatusCode::CONFLICT,
        DecideError::Reconcile(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Approves a pending request and carries out its action.
pub async fn approve(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    decide(&app, &actor, id, true).await
}

/// Rejects a pending request.
pub async fn reject(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    decide(&app, &actor, id, false).await
}
