//! The HTTP server (axum): `POST /v1/events`, the admin API under `/v1/`,
//! `/healthz`, `/readyz`, `/metrics` and `GET /v1/openapi.json`.
//!
//! ```text
//! events   signed CloudEvents in (202 once stored; 400/401/409/413/415/422 change nothing)
//! admin    bearer-token API: secrets, plan, rotate, revoke, signals
//! evidence one secret's evidence, JSON or an HTML page (viewer)
//! reviews  completed access reviews in (operator; stored as review events)
//! approvals four-eyes requests: list, approve, reject (approver)
//! auth     named operators and OIDC tokens; the role each route needs
//! ops      health, readiness, metrics
//! openapi  the OpenAPI 3.1 document of every route (not the console's)
//! console  the web console under /ui/ (HTML, operator sessions)
//! ```
//!
//! Every route comes from one table ([`routes`] lists it); a test checks
//! the OpenAPI document against it.

mod admin;
mod approvals;
pub mod auth;
mod body_limit;
mod console;
mod events;
mod evidence;
mod listener;
mod openapi;
mod ops;
mod reviews;
mod scim;
mod signals;

pub use listener::{Bounds, serve, tls_acceptor};

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
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
        /// `webhook_secret`, `eventgrid_key` or `metrics_token`.
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
    /// An operator's token or the identity provider's keys could not be read.
    #[error(transparent)]
    Auth(#[from] auth::AuthSetupError),
    /// The SCIM token could not be read.
    #[error("scim.token: {0}")]
    ScimToken(tenure_plugin_api::SourceError),
    /// The SCIM token is too short to resist guessing.
    #[error("scim.token: must be at least 16 characters")]
    WeakScimToken,
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
    /// The operators' token digests and the identity provider.
    auth: auth::Authenticator,
    /// SHA-256 of the Event Grid key.
    eventgrid_digest: Option<[u8; 32]>,
    /// SHA-256 of the metrics token.
    metrics_digest: Option<[u8; 32]>,
    /// The SCIM intake, when `[scim]` is configured.
    scim: Option<scim::Scim>,
    /// The web console's sessions and audit key.
    console: console::Console,
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
        let auth = auth::Authenticator::new(config)?;
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
        let scim = reconciler
            .config()
            .scim
            .as_ref()
            .map(scim::Scim::new)
            .transpose()?;
        let console = console::Console::new(&reconciler.config(), config.tls.is_some());
        Ok(Self {
            inner: Arc::new(Inner {
                reconciler,
                webhook,
                auth,
                eventgrid_digest,
                metrics_digest,
                scim,
                console,
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

/// One route of the table: the method's name, the path, and the method
/// router that serves it (its handler with its cap and layers).
type Route = (&'static str, &'static str, MethodRouter<AppState>);

/// What the routes of the table are built with.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Requests in flight at once per route.
    in_flight: usize,
    /// The largest body on the routes that read one.
    max_body_bytes: usize,
    /// How long a body may take to arrive.
    request_timeout: Duration,
}

/// The method filter of a method's name.
fn method_filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "DELETE" => MethodFilter::DELETE,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        other => unreachable!("no route of the table uses the method {other}"),
    }
}

/// A route serving `handler` for `method` only (GET serves HEAD too).
fn entry<H, T>(method: &'static str, path: &'static str, handler: H) -> Route
where
    H: Handler<T, AppState>,
    T: 'static,
{
    (method, path, on(method_filter(method), handler))
}

/// Every route, each with its own in-flight cap; the routes that read a
/// body (events, Event Grid) also with the request timeout (408) and the
/// body limit, checked against `Content-Length` before anything is read
/// (`body_limit`) and again while reading (413). The other routes never
/// read a body. [`router`] registers exactly these; [`routes`] lists them,
/// and `openapi.json` documents them (a test holds the three together).
fn table(limits: Limits) -> Vec<Route> {
    let cap = limits.in_flight;
    let capped = |(method, path, route): Route| (method, path, bounded(route, cap));
    let with_body = |(method, path, route): Route, source| {
        let limit = axum::middleware::from_fn_with_state(
            body_limit::BodyLimit {
                max_bytes: limits.max_body_bytes,
                source,
            },
            body_limit::refuse_oversized,
        );
        let timeout =
            TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout);
        let route = bounded(route, cap)
            .layer::<_, Infallible>(limit)
            .layer(timeout);
        (method, path, route)
    };
    let scim = scim::routes(|route| with_body(route, "scim"), capped);
    let mut table = vec![
        with_body(entry("POST", "/v1/events", events::post_event), "webhook"),
        with_body(
            entry("POST", "/v1/eventgrid", events::post_eventgrid),
            "eventgrid",
        ),
        capped(entry("GET", "/v1/secrets", admin::secrets)),
        capped(entry("GET", "/v1/plan", admin::plan)),
        capped(entry(
            "GET",
            "/v1/secrets/{address}/evidence",
            evidence::evidence,
        )),
        capped(entry("POST", "/v1/secrets/{address}/rotate", admin::rotate)),
        capped(entry("POST", "/v1/secrets/{address}/revoke", admin::revoke)),
        with_body(
            entry("POST", "/v1/reviews", reviews::post_review),
            "reviews",
        ),
        capped(entry("GET", "/v1/approvals", approvals::list)),
        capped(entry("GET", "/v1/approvals/{id}", approvals::get)),
        capped(entry(
            "POST",
            "/v1/approvals/{id}/approve",
            approvals::approve,
        )),
        capped(entry(
            "POST",
            "/v1/approvals/{id}/reject",
            approvals::reject,
        )),
        capped(entry("GET", "/v1/signals", signals::list)),
        capped(entry("DELETE", "/v1/signals/{id}", signals::remove)),
        capped(entry("GET", "/healthz", ops::healthz)),
        capped(entry("GET", "/readyz", ops::readyz)),
        capped(entry("GET", "/metrics", ops::metrics)),
        capped(entry("GET", "/v1/openapi.json", openapi::document)),
    ];
    table.extend(scim);
    table.extend(console::routes(capped));
    table
}

/// Every `(method, path)` the router serves, in the table's order (paths
/// in axum's `{param}` form, as OpenAPI writes them).
pub fn routes() -> Vec<(&'static str, &'static str)> {
    let limits = Limits {
        in_flight: 1,
        max_body_bytes: 1,
        request_timeout: Duration::from_secs(1),
    };
    table(limits)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// The routes of the table (see [`table`]), and 404 with
/// `"unknown_route": true` for any path none of them serves.
pub fn router(state: AppState, config: &ServerConfig) -> Router {
    let limits = Limits {
        in_flight: config.max_in_flight,
        max_body_bytes: config.max_body_bytes,
        request_timeout: config.request_timeout,
    };
    table(limits)
        .into_iter()
        .fold(Router::new(), |router, (method, path, route)| {
            let route = match auth::roles::required(method, path) {
                Some(permission) => route.layer(axum::middleware::from_fn_with_state(
                    (state.clone(), permission),
                    auth::guard,
                )),
                None => route,
            };
            router.route(path, route)
        })
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(state)
}

/// The fallback: no route has this path. The body says so, so a client
/// (or a test) can tell it from a handler's own 404; the path is not echoed.
async fn unknown_route() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "error": "no such route; GET /v1/openapi.json lists them",
            "unknown_route": true,
        })),
    )
        .into_response()
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

#[cfg(test)]
mod tests;
