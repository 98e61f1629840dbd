//! The signals API (admin): `GET /v1/signals` lists the governance facts
//! events left behind, `DELETE /v1/signals/{id}` removes one so the files
//! decide that fact again. A signal's id is `<kind>:<key>`
//! (`owner_status:dana@example.com`, percent-encoded in the path). Every
//! removal is audited.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use tracing::{error as log_error, info};

use super::AppState;
use super::admin::{error, path_param};
use super::auth::Actor;
use crate::audit::Event;
use crate::state::{Signal, SignalKind};

/// A signal as the API shows it.
fn view(signal: &Signal) -> Value {
    json!({
        "id": format!("{}:{}", signal.kind.as_str(), signal.key),
        "kind": signal.kind.as_str(),
        "key": signal.key,
        "value": signal.value,
        "at": signal.at.to_rfc3339(),
        "event": signal.event,
    })
}

/// Every stored signal, oldest first.
pub async fn list(State(app): State<AppState>) -> Response {
    match app.inner.reconciler.store().signals().await {
        Ok(signals) => Json(signals.iter().map(view).collect::<Vec<_>>()).into_response(),
        Err(err) => {
            log_error!(error = %err, "Could not list the signals.");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the state store is unavailable",
            )
        }
    }
}

/// Removes one signal; 404 when there is none with that id.
pub async fn remove(
    State(app): State<AppState>,
    Extension(actor): Extension<Actor>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match path_param(id) {
        Ok(id) => id,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let Some((kind, key)) = id
        .split_once(':')
        .and_then(|(kind, key)| Some((SignalKind::from_name(kind)?, key)))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("{id:?} is not a signal id (<kind>:<key>, as GET /v1/signals lists them)"),
        );
    };
    let reconciler = &app.inner.reconciler;
    let removed = match reconciler.store().remove_signal(kind, key).await {
        Ok(Some(removed)) => removed,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no signal {id:?}")),
        Err(err) => {
            log_error!(error = %err, signal = %id, "Could not remove a signal.");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the state store is unavailable",
            );
        }
    };
    let shown = view(&removed);
    let entry = Event::new(
        "signal_removed",
        None,
        None,
        json!({ "signal": shown, "by": "admin_api", "actor": actor.audit() }),
    );
    if let Err(err) = reconciler.audit().append(entry).await {
        log_error!(error = %err, signal = %id, "Removed a signal but could not audit it.");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the signal was removed but the audit trail could not be written",
        );
    }
    if let Err(err) = reconciler.refresh_signals().await {
        // Removed and audited; the service's next turn layers the rest.
        log_error!(error = %err, "Could not layer the remaining signals again.");
    }
    info!(signal = %id, actor = %actor.name, "{} removed signal {id} through the admin API; the files decide it again.", actor.name);
    app.inner.wake.notify_one();
    Json(json!({ "removed": shown })).into_response()
}
