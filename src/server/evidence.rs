//! `GET /v1/secrets/{address}/evidence` (`?format=json|html`, `from`, `to`
//! as RFC 3339): one secret's evidence, as `tenure evidence` writes it
//! (viewer). 400 for a bad address, format or time; 404 when no record
//! governs the secret and no audit entry names it. A trail that fails
//! verification still answers 200: the document says it failed.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tenure_plugin_api::SecretAddress;
use tracing::warn;

use super::AppState;
use super::admin::{error, path_param};
use crate::audit::AuditSigner;
use crate::evidence::{self, EvidenceError, Format, Request};

/// The query: `format`, `from`, `to`.
#[derive(Debug, Deserialize)]
pub struct EvidenceQuery {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn time(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{name} is not an RFC 3339 time: {e}"))
    })
    .transpose()
}

/// What the query asks for.
struct Asked {
    format: Format,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// What the query asks for, or why it cannot be read.
fn read_query(query: Result<Query<EvidenceQuery>, QueryRejection>) -> Result<Asked, String> {
    let Query(query) = query.map_err(|rejection| rejection.body_text())?;
    let format = match query.format.as_deref() {
        None => Format::Json,
        Some(name) => {
            Format::parse(name).ok_or_else(|| format!("format {name:?} is not json or html"))?
        }
    };
    let from = time("from", query.from.as_deref())?;
    let to = time("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err("from must be before to".to_owned());
    }
    Ok(Asked { format, from, to })
}

/// One secret's evidence.
pub async fn evidence(
    State(app): State<AppState>,
    address: Result<Path<String>, PathRejection>,
    query: Result<Query<EvidenceQuery>, QueryRejection>,
) -> Response {
    let secret: SecretAddress = match path_param(address).and_then(|a| {
        a.parse::<SecretAddress>()
            .map_err(|e| format!("{a:?} is not an address: {e}"))
    }) {
        Ok(secret) => secret,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let Asked { format, from, to } = match read_query(query) {
        Ok(asked) => asked,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    answer(&app, secret, format, from, to).await
}

/// The evidence of `secret` from `from` to `to` as `format`, answered: 200
/// with the document, 404 for a secret nothing knows, 503 when the key or
/// the trail cannot be read. The console's download uses it too.
pub(super) async fn answer(
    app: &AppState,
    secret: SecretAddress,
    format: Format,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Response {
    let config = app.inner.reconciler.config();
    // Reads the key file and the trail: blocking I/O.
    let gathered = tokio::task::spawn_blocking(move || {
        let signer = AuditSigner::load_or_create(&config.audit_key)?;
        let keys = [signer.public_key().clone()];
        let request = Request {
            secret: &secret,
            from,
            to,
        };
        Ok::<_, GatherError>(evidence::gather(&config, request, &keys, Utc::now())?)
    })
    .await;
    match gathered {
        Ok(Ok(evidence)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, format.media_type())],
            evidence::write(&evidence, format),
        )
            .into_response(),
        Ok(Err(GatherError::Evidence(err @ EvidenceError::Unknown(_)))) => {
            error(StatusCode::NOT_FOUND, err)
        }
        Ok(Err(err)) => {
            warn!(error = %err, "Could not gather evidence.");
            error(StatusCode::SERVICE_UNAVAILABLE, err)
        }
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, err),
    }
}

/// Why the evidence could not be gathered.
#[derive(Debug, thiserror::Error)]
enum GatherError {
    #[error(transparent)]
    Key(#[from] crate::audit::KeyError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}
