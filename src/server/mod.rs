//! The HTTP server (axum): `POST /v1/events`, the admin API under `/v1/`,
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! ```text
//! events  signed CloudEvents in (202 once stored; 400/401/409/413/415/422 change nothing)
//! admin   bearer-token API: secrets, plan, rotate, revoke
//! ops     health, readiness, metrics
//! ```

mod admin;
mod events;
mod ops;
mod signals;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::config::ServerConfig;
use crate::events::{SecretFormatError, WebhookKey};
use crate::reconcile::Reconciler;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A credential the config names could not be read.
    #[error("server.{key}: {source}")]
    Credential {
        /// `admin_token` or `webhook_secret`.
        key: &'static str,
        /// Why.
        source: tenure_plugin_api::SourceError,
    },
    /// The webhook secret is not a `whsec_` secret.
    #[error("server.webhook_secret: {0}")]
    WebhookSecret(#[from] SecretFormatError),
    /// The Event Grid key is too short to be a secret.
    #[error("server.eventgrid_key: must be at least 16 characters")]
    WeakEventGridKey,
    /// The admin token is too short to be a secret.
    #[error("server.metrics_token: must be at least 16 characters")]
    WeakMetricsToken,
    /// The admin token is too short to resist guessing.
    #[error("server.admin_token: must be at least 16 characters")]
    WeakAdminToken,
    /// The certificate or key could not be read.
    #[error("server.tls_cert {cert}: {source}")]
    Tls {
        /// The certificate file.
        cert: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    reconciler: Arc<Reconciler>,
    webhook: Option<WebhookKey>,
    /// SHA-256 of the admin token: compared in constant time, length hidden.
    admin_digest: Option<[u8; 32]>,
    /// SHA-256 of the Event Grid key.
    eventgrid_digest: Option<[u8; 32]>,
    /// SHA-256 of the metrics token.
    metrics_digest: Option<[u8; 32]>,
    wake: Arc<Notify>,
}

impl AppState {
    /// Reads the credentials `config` names. `wake` is notified when an event
    /// is stored or an operator acts, so the service loop runs at once.
    pub fn new(
        config: &ServerConfig,
        reconciler: Arc<Reconciler>,
        wake: Arc<Notify>,
    ) -> Result<Self, ServerError> {
        let webhook = config
            .webhook_secret
            .as_ref()
            .map(|source| {
                let secret = source.resolve().map_err(|source| ServerError::Credential {
                    key: "webhook_secret",
                    source,
                })?;
                Ok::<_, ServerError>(WebhookKey::parse(secret.expose())?)
            })
            .transpose()?;
        let admin_digest = digest_of(
            config.admin_token.as_ref(),
            "admin_token",
            ServerError::WeakAdminToken,
        )?;
        let eventgrid_digest = digest_of(
            config.eventgrid_key.as_ref(),
            "eventgrid_key",
            ServerError::WeakEventGridKey,
        )?;
        let metrics_digest = digest_of(
            config.metrics_token.as_ref(),
            "metrics_token",
            ServerError::WeakMetricsToken,
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                reconciler,
                webhook,
                admin_digest,
                eventgrid_digest,
                metrics_digest,
                wake,
            }),
        })
    }
}

/// Reads a bearer-style credential and keeps only its SHA-256.
fn digest_of(
    source: Option<&tenure_plugin_api::SecretSource>,
    key: &'static str,
    weak: ServerError,
) -> Result<Option<[u8; 32]>, ServerError> {
    let Some(source) = source else {
        return Ok(None);
    };
    let value = source
        .resolve()
        .map_err(|source| ServerError::Credential { key, source })?;
    if value.expose().len() < 16 {
        return Err(weak);
    }
    Ok(Some(Sha256::digest(value.expose().as_bytes()).into()))
}

/// Whether `presented` is the credential whose digest is `expected`, in constant time.
fn matches(expected: &[u8; 32], presented: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    presented.is_some_and(|p| bool::from(Sha256::digest(p.as_bytes()).as_slice().ct_eq(expected)))
}

/// Every route.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route(
            "/v1/events",
            post(events::post_event).layer(DefaultBodyLimit::max(max_body_bytes)),
        )
        .route(
            "/v1/eventgrid",
            post(events::post_eventgrid).layer(DefaultBodyLimit::max(max_body_bytes)),
        )
        .route("/v1/secrets", get(admin::secrets))
        .route("/v1/plan", get(admin::plan))
        .route("/v1/secrets/{address}/rotate", post(admin::rotate))
        .route("/v1/secrets/{address}/revoke", post(admin::revoke))
        .route("/v1/signals", get(signals::list))
        .route("/v1/signals/{id}", delete(signals::remove))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

/// Binds `config.listen`.
pub async fn bind(config: &ServerConfig) -> Result<tokio::net::TcpListener, ServerError> {
    tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })
}
