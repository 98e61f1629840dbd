//! `/healthz` (the process answers), `/readyz` (a first pass completed and
//! the state store answers) and `/metrics`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
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
        // The cause goes to the log, not to whoever asks.
        Err(err) => {
            tracing::warn!(error = %err, "Not ready: the state store does not answer.");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response()
        }
    }
}

/// The metrics in the OpenMetrics text format: the aggregate series for
/// anyone; with `Authorization: Bearer <metrics token>` or the token of an
/// operator who may read (any role), the per-secret series too (their
/// labels name every address).
pub async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let inner = &app.inner;
    let presented = super::auth::bearer(&headers);
    let detailed = inner
        .metrics_digest
        .as_ref()
        .is_some_and(|digest| super::matches(digest, presented))
        || (presented.is_some()
            && inner
                .auth
                .authorize(&headers, super::auth::Permission::Read)
                .await
                .is_ok());
    let metrics = crate::metrics::global();
    let text = if detailed {
        metrics.encode_all()
    } else {
        metrics.encode()
    };
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
