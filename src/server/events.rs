//! `POST /v1/events`: a signed CloudEvent in, 202 once it is stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;
use tracing::{info, warn};

use super::AppState;
use super::admin::error;
use crate::events::{
    EventGridDelivery, GridOutcome, IntakeError, Request, accept, read_delivery, store_event,
};

const SOURCE: &str = "webhook";

/// The answer while an intake is off (its setting unset), counted for `source`.
fn off(source: &'static str, message: &str) -> Response {
    crate::metrics::global().event(source, "disabled");
    error(StatusCode::NOT_FOUND, message)
}

/// The answer to a body that could not be read (too large, or cut short),
/// counted for `source`.
fn unreadable(source: &'static str, rejection: &BytesRejection) -> Response {
    let status = rejection.status();
    let outcome = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "too_large"
    } else {
        "unreadable"
    };
    crate::metrics::global().event(source, outcome);
    error(status, rejection.body_text())
}

/// Verifies, stores and acknowledges one event.
pub async fn post_event(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let metrics = crate::metrics::global();
    let Some(key) = &app.inner.webhook else {
        return off(SOURCE, "event intake is off: set server.webhook_secret");
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            warn!(
                status = rejection.status().as_u16(),
                "Refused an event: {}.",
                rejection.body_text()
            );
            return unreadable(SOURCE, &rejection);
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
            error(status, err)
        }
    }
}

/// `POST /v1/eventgrid?key=...`: Azure Event Grid deliveries (Event Grid
/// schema). Completes the subscription validation handshake; stores each Key
/// Vault secret event for a managed secret. Answers 200 once every event is
/// stored (duplicates included), so Event Grid does not redeliver.
pub async fn post_eventgrid(
    State(app): State<AppState>,
    query: Result<Query<std::collections::HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    const GRID: &str = "eventgrid";
    let metrics = crate::metrics::global();
    let Some(expected) = &app.inner.eventgrid_digest else {
        return off(GRID, "Event Grid intake is off: set server.eventgrid_key");
    };
    // An unreadable query string carries no key.
    let key = query.ok().and_then(|Query(mut query)| query.remove("key"));
    if !super::matches(expected, key.as_deref()) {
        metrics.event(GRID, "unauthorized");
        warn!("Refused an Event Grid delivery: missing or wrong key.");
        return error(StatusCode::UNAUTHORIZED, "missing or wrong key");
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return unreadable(GRID, &rejection),
    };
    let reconciler = &app.inner.reconciler;
    let plugins = reconciler.plugins();
    let secret_for = |vault: &str, name: &str| {
        plugins.providers().find_map(|(provider_name, provider)| {
            provider
                .vault_events()?
                .path_for_event(vault, name)
                .map(|path| format!("{provider_name}:{path}"))
        })
    };
    let delivery = match read_delivery(&body, secret_for) {
        Ok(delivery) => delivery,
        Err(err) => {
            metrics.event(GRID, "malformed");
            return error(StatusCode::BAD_REQUEST, err);
        }
    };
    let outcomes = match delivery {
        EventGridDelivery::Validation(code) => {
            metrics.event(GRID, "validation");
            info!("Completed the Event Grid subscription validation handshake.");
            return Json(json!({ "validationResponse": code })).into_response();
        }
        EventGridDelivery::Events(outcomes) => outcomes,
    };
    let store = reconciler.store();
    let (mut accepted, mut duplicates, mut unmatched, mut ignored) = (0, 0, 0, 0);
    for outcome in outcomes {
        match outcome {
            GridOutcome::Event(event) => {
                match store_event(
                    store.as_ref(),
                    crate::events::Channel::EventGrid,
                    event,
                    None,
                    Utc::now(),
                )
                .await
                {
                    Ok(stored) => {
                        accepted += 1;
                        metrics.event(GRID, "accepted");
                        info!(event = %stored.id, kind = %stored.kind, "Accepted event {} ({}).", stored.id, stored.kind);
                    }
                    Err(IntakeError::Replay(_)) => {
                        duplicates += 1;
                        metrics.event(GRID, "replay");
                    }
                    Err(IntakeError::Store(err)) => {
                        metrics.event(GRID, "store_failed");
                        // Event Grid retries: nothing is lost.
                        return error(StatusCode::SERVICE_UNAVAILABLE, err);
                    }
                    Err(err) => {
                        metrics.event(GRID, err.outcome());
                        warn!("Skipped an Event Grid event: {err}.");
                    }
                }
            }
            GridOutcome::Unmatched => {
                unmatched += 1;
                metrics.event(GRID, "unmatched");
            }
            GridOutcome::Ignored => {
                ignored += 1;
                metrics.event(GRID, "ignored");
            }
        }
    }
    if accepted > 0 {
        app.inner.wake.notify_one();
    }
    Json(json!({ "accepted": accepted, "duplicates": duplicates, "unmatched": unmatched, "ignored": ignored }))
        .into_response()
}
