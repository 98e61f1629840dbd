//! `POST /v1/events`: a signed CloudEvent in, 202 once it is stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;
use tracing::{info, warn};

use super::AppState;
use crate::events::{Request, accept};

const SOURCE: &str = "webhook";

/// Verifies, stores and acknowledges one event.
pub async fn post_event(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let metrics = crate::metrics::global();
    let Some(key) = &app.inner.webhook else {
        metrics.event(SOURCE, "disabled");
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "event intake is off: set server.webhook_secret" })),
        )
            .into_response();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let outcome = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "unreadable"
            };
            metrics.event(SOURCE, outcome);
            warn!(
                status = status.as_u16(),
                "Refused an event: {}.",
                rejection.body_text()
            );
            return (status, Json(json!({ "error": rejection.body_text() }))).into_response();
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = Request {
        content_type: header("content-type"),
        header: &header,
        body: &body,
    };
    let store = app.inner.reconciler.store();
    match accept(key, store.as_ref(), request, Utc::now()).await {
        Ok(event) => {
            metrics.event(SOURCE, "accepted");
            info!(event = %event.id, kind = %event.kind, "Accepted event {} ({}).", event.id, event.kind);
            app.inner.wake.notify_one();
            (StatusCode::ACCEPTED, Json(json!({ "id": event.id }))).into_response()
        }
        Err(err) => {
            metrics.event(SOURCE, err.outcome());
            let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
            warn!(
                status = status.as_u16(),
                outcome = err.outcome(),
                "Refused an event: {err}."
            );
            (status, Json(json!({ "error": err.to_string() }))).into_response()
        }
    }
}
