//! `/healthz` (the process answers), `/readyz` (a first pass completed and
//! the state store answers) and `/metrics`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// 200 while the process serves requests.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 once the first reconcile pass completed and the state store answers; 503 before.
pub async fn readyz(State(app): State<AppState>) -> Response {
    let reconciler = &app.inner.reconciler;
    if reconciler.passes() == 0 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first reconcile pass\n",
        )
            .into_response();
    }
    match reconciler.store().ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(err) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("state store: {err}\n"),
        )
            .into_response(),
    }
}

/// The metrics in the OpenMetrics text format.
pub async fn metrics() -> Response {
    match crate::metrics::global().encode() {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
