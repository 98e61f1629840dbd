//! `POST /v1/reviews` (admin): a completed access review, as JSON
//! (`record`, `reviewer`, `decision`, and `scopes`, `next_review`,
//! `ticket`, `reviewed_at` as needed). 202 once it is stored as an
//! `io.tenure.review.completed` event; 400 for a body that is not such a
//! JSON object, 404 for an unknown record, 409 for the same review again,
//! 422 for a review that cannot be applied. Every refusal stores nothing.

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use serde_json::json;
use tracing::{info, warn};

use super::AppState;
use super::admin::error;
use super::auth::Actor;
use crate::events::{Channel, IntakeError, ReviewIntakeError, submit_review};
use crate::governance::ReviewData;

/// The status that answers a refused review.
fn status(err: &ReviewIntakeError) -> StatusCode {
    match err {
        ReviewIntakeError::UnknownRecord(_) => StatusCode::NOT_FOUND,
        ReviewIntakeError::Invalid(_) | ReviewIntakeError::Scope { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ReviewIntakeError::Intake(IntakeError::Replay(_)) => StatusCode::CONFLICT,
        ReviewIntakeError::Intake(other) => {
            StatusCode::from_u16(other.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// Takes one review.
pub async fn post_review(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<ReviewData>, JsonRejection>,
) -> Response {
    let data = match body {
        Ok(Json(data)) => data,
        Err(rejection) => return error(StatusCode::BAD_REQUEST, rejection.body_text()),
    };
    let reconciler = &app.inner.reconciler;
    let config = reconciler.config();
    let store = reconciler.store();
    let record = data.record.clone();
    match submit_review(
        store.as_ref(),
        &config,
        Channel::Api,
        &actor.name,
        data,
        Utc::now(),
    )
    .await
    {
        Ok(event) => {
            info!(event = %event.id, record = %record, actor = %actor.name, "Accepted the review of record {record} from {}.", actor.name);
            app.inner.wake.notify_one();
            (StatusCode::ACCEPTED, Json(json!({ "id": event.id }))).into_response()
        }
        Err(err) => {
            let status = status(&err);
            warn!(status = status.as_u16(), record = %record, "Refused a review: {err}.");
            error(status, err)
        }
    }
}
