//! The HTTP server (axum): `POST /v1/events`, the admin API under `/v1/`,
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! ```text
//! events  signed CloudEvents in (202 once stored; 400/401/409/413/415/422 change nothing)
//! admin   bearer-token API: secrets, plan, rotate, revoke
//! ops     health, readiness, metrics
//! ```

mod admin;
mod body_limit;
mod events;
mod listener;
mod ops;
mod signals;

pub use listener::{Bounds, serve, tls_acceptor};

use std::sync::Arc;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{BoxError, Router};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tower::ServiceBuilder;
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower_http::timeout::TimeoutLayer;

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
/// A method router with its own cap of `in_flight` requests at once; one
/// more is refused at once with 503 and `Retry-After`, not queued.
fn bounded(route: MethodRouter<AppState>, in_flight: usize) -> MethodRouter<AppState> {
    route.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: BoxError| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "1")],
                    axum::Json(serde_json::json!({
                        "error": "too many requests in flight on this route; retry shortly"
                    })),
                )
            }))
            .layer(LoadShedLayer::new())
            .layer(ConcurrencyLimitLayer::new(in_flight)),
    )
}

/// The routes, each with its own in-flight cap; the routes that read a
/// body (events, Event Grid) also with the request timeout (408) and the
/// body limit, checked against `Content-Length` before anything is read
/// (`body_limit`) and again while reading (413). The other routes never
/// read a body.
pub fn router(state: AppState, config: &ServerConfig) -> Router {
    let cap = config.max_in_flight;
    let limit = |source| {
        axum::middleware::from_fn_with_state(
            body_limit::BodyLimit {
                max_bytes: config.max_body_bytes,
                source,
            },
            body_limit::refuse_oversized,
        )
    };
    let with_body = Router::new()
        .route(
            "/v1/events",
            bounded(post(events::post_event), cap).layer(limit("webhook")),
        )
        .route(
            "/v1/eventgrid",
            bounded(post(events::post_eventgrid), cap).layer(limit("eventgrid")),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ));
    Router::new()
        .merge(with_body)
        .route("/v1/secrets", bounded(get(admin::secrets), cap))
        .route("/v1/plan", bounded(get(admin::plan), cap))
        .route(
            "/v1/secrets/{address}/rotate",
            bounded(post(admin::rotate), cap),
        )
        .route(
            "/v1/secrets/{address}/revoke",
            bounded(post(admin::revoke), cap),
        )
        .route("/v1/signals", bounded(get(signals::list), cap))
        .route("/v1/signals/{id}", bounded(delete(signals::remove), cap))
        .route("/healthz", bounded(get(ops::healthz), cap))
        .route("/readyz", bounded(get(ops::readyz), cap))
        .route("/metrics", bounded(get(ops::metrics), cap))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(state)
}

/// Connections the kernel holds completed for Tenure to accept; beyond
/// `max_connections` they wait there, holding none of Tenure's descriptors
/// (capped by `net.core.somaxconn`).
const LISTEN_BACKLOG: u32 = 1024;

/// Binds `config.listen`.
pub async fn bind(config: &ServerConfig) -> Result<tokio::net::TcpListener, ServerError> {
    let error = |source| ServerError::Bind {
        addr: config.listen,
        source,
    };
    let socket = if config.listen.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(error)?;
    socket.set_reuseaddr(true).map_err(error)?;
    socket.bind(config.listen).map_err(error)?;
    socket.listen(LISTEN_BACKLOG).map_err(error)
}
