//! The admin API: `GET /v1/secrets`, `GET /v1/plan`, and
//! `POST /v1/secrets/{address}/rotate|revoke` (the address percent-encoded).
//! Every route needs an operator's bearer token (`auth` checks it and the
//! role before the handler runs); actions record the operator in the audit trail.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use serde_json::json;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

use super::AppState;
use super::auth::Actor;
use crate::reconcile::ReconcileError;
use crate::state::{RunKind, StateError};
use crate::workflow::EngineError;

pub(super) fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": message.to_string() }))).into_response()
}

/// Every secret with its status, decision, next due time and last rotation.
pub async fn secrets(State(app): State<AppState>) -> Response {
    let reconciler = &app.inner.reconciler;
    match crate::status::secret_statuses(&reconciler.planned(), reconciler.store().as_ref()).await {
        Ok(rows) => Json(rows).into_response(),
        Err(err) => error(StatusCode::SERVICE_UNAVAILABLE, err),
    }
}

/// A fresh dry run, as `tenure plan --format json` prints it.
pub async fn plan(State(app): State<AppState>) -> Response {
    let reconciler = &app.inner.reconciler;
    let config = reconciler.config();
    match reconciler.plan(Utc::now()).await {
        Ok(plan) => Json(plan.entries(&config)).into_response(),
        Err(err) => error(StatusCode::BAD_GATEWAY, err),
    }
}

/// The path parameter, or why it cannot be decoded (not UTF-8 once
/// percent-decoded): the caller answers 400 with it, as JSON like every
/// refusal (the token was checked before).
pub(super) fn path_param(param: Result<Path<String>, PathRejection>) -> Result<String, String> {
    param
        .map(|Path(value)| value)
        .map_err(|rejection| rejection.body_text())
}

async fn act(
    app: &AppState,
    actor: &Actor,
    address: Result<Path<String>, PathRejection>,
    kind: RunKind,
) -> Response {
    let address = match path_param(address) {
        Ok(address) => address,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let secret: SecretAddress = match address.parse() {
        Ok(secret) => secret,
        Err(err) => return error(StatusCode::BAD_REQUEST, err),
    };
    info!(secret = %secret, action = %kind, actor = %actor.name, "Operator {} asked to {kind} {secret} through the admin API.", actor.name);
    let outcome = app.inner.reconciler.act_now(&secret, kind, actor).await;
    app.inner.wake.notify_one();
    match outcome {
        Ok(outcome) => {
            let status = if outcome.is_success() {
                StatusCode::OK
            } else if matches!(outcome, crate::workflow::Outcome::Busy) {
                StatusCode::CONFLICT
            } else {
                StatusCode::ACCEPTED
            };
            let detail = match &outcome {
                crate::workflow::Outcome::RetryLater { error, .. }
                | crate::workflow::Outcome::RolledBack { error }
                | crate::workflow::Outcome::Failed { error } => Some(error.clone()),
                _ => None,
            };
            let approval = match &outcome {
                crate::workflow::Outcome::PendingApproval { approval } => Some(approval.clone()),
                _ => None,
            };
            (
                status,
                Json(json!({
                    "secret": secret.to_string(),
                    "action": kind.as_str(),
                    "outcome": outcome.label(),
                    "detail": detail,
                    "approval": approval,
                })),
            )
                .into_response()
        }
        Err(ReconcileError::UnknownSecret(secret)) => error(
            StatusCode::NOT_FOUND,
            format!("{secret} is not in the inventory of its provider"),
        ),
        // Another writer (a replica whose lease had lapsed) advanced the
        // run first: busy, as when it holds the lease; nothing was lost.
        Err(
            ReconcileError::State(StateError::Conflict { .. })
            | ReconcileError::Engine(EngineError::State(StateError::Conflict { .. })),
        ) => (
            StatusCode::CONFLICT,
            Json(json!({
                "secret": secret.to_string(),
                "action": kind.as_str(),
                "outcome": crate::workflow::Outcome::Busy.label(),
                "detail": "another writer advanced the run first",
            })),
        )
            .into_response(),
        Err(err) => {
            warn!(secret = %secret, error = %err, "The admin {kind} failed.");
            error(StatusCode::INTERNAL_SERVER_ERROR, err)
        }
    }
}

/// Rotates one secret now.
pub async fn rotate(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    address: Result<Path<String>, PathRejection>,
) -> Response {
    act(&app, &actor, address, RunKind::Rotate).await
}

/// Revokes one secret now.
pub async fn revoke(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    address: Result<Path<String>, PathRejection>,
) -> Response {
    act(&app, &actor, address, RunKind::Revoke).await
}
