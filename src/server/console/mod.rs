//! The web console under `/ui/`: server-rendered HTML pages (readable with
//! JavaScript off; no script at all), signed in with an operator's token,
//! served whenever `[server]` is on. Every page reads the same data the
//! admin API serves: the last pass's statuses, the state store's approval
//! requests and unmanaged accounts, and the audit trail.
//!
//! ```text
//! session    the session table (in memory), the cookie, CSRF; SignedIn and Posted extractors
//! signin     the sign-in form (token), sign-in, sign-out
//! layout     the page shell, stylesheet, badges, times, links
//! charts     inline SVG bars and columns
//! stats      rotations, revocations and time-to-revoke from the trail
//! overview   counts, charts, upcoming due dates, drift, unmanaged accounts
//! secrets    the searchable list (?q=)
//! secret     one secret: record, lineage, timeline from the trail
//! orphans    secrets no record governs, records that match none, unmanaged accounts
//! approvals  pending requests; approve or reject (approver role)
//! timeline   a secret's audit entries as sentences
//! audit      the trail's verification (chain, head file, signatures)
//! ```

mod approvals;
mod audit;
mod charts;
mod layout;
mod orphans;
mod overview;
mod secret;
mod secrets;
mod session;
mod signin;
mod stats;
mod timeline;

use axum::http::StatusCode;
use axum::response::Response;
use tenure_plugin_api::SecretSource;

use super::{Route, entry};
use crate::audit::{AuditPublicKey, AuditSigner, ReadError, TrailEntry, TrailFilter};
use crate::config::Config;
use crate::reconcile::Reconciler;
use crate::state::StateError;
use crate::status::SecretStatus;

/// The console's share of the server: its sessions and the key the audit
/// page checks signatures with.
pub struct Console {
    sessions: session::Sessions,
    key: AuditKey,
}

/// The public half of the configured audit signing key, as found at start.
enum AuditKey {
    /// Found: signatures are checked with it.
    Found(AuditPublicKey),
    /// No key file yet: nothing has been signed.
    Missing,
    /// It could not be read: why.
    Unreadable(String),
}

impl Console {
    /// The console of `config` (cookies `Secure` when `tls`).
    pub fn new(config: &Config, tls: bool) -> Self {
        Self {
            sessions: session::Sessions::new(tls),
            key: audit_key(&config.audit_key),
        }
    }
}

/// The configured signing key's public half, as `tenure audit verify` finds
/// it (never created here).
fn audit_key(source: &SecretSource) -> AuditKey {
    if let SecretSource::File(path) = source
        && !path.exists()
    {
        return AuditKey::Missing;
    }
    match AuditSigner::load_or_create(source) {
        Ok(signer) => AuditKey::Found(signer.public_key().clone()),
        Err(err) => AuditKey::Unreadable(err.to_string()),
    }
}

/// Why a page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The state store could not be read.
    #[error("the state store could not be read: {0}")]
    State(#[from] StateError),
    /// The audit trail could not be read.
    #[error(transparent)]
    Trail(#[from] ReadError),
    /// A blocking read did not finish.
    #[error("a background read failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl ConsoleError {
    /// The error page (503: the data is not reachable now).
    pub fn page(&self) -> Response {
        tracing::warn!(error = %self, "A console page could not be made.");
        layout::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not available",
            &self.to_string(),
        )
    }
}

/// Every secret's status from the last pass, with live state (`GET /v1/secrets`).
async fn statuses(reconciler: &Reconciler) -> Result<Vec<SecretStatus>, ConsoleError> {
    Ok(crate::status::secret_statuses(&reconciler.planned(), reconciler.store().as_ref()).await?)
}

/// The configured trail's entries `filter` keeps, read off the async threads.
async fn trail(
    config: &Config,
    secret: Option<String>,
    from: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<TrailEntry>, ConsoleError> {
    let path = config.audit_log.clone();
    let entries = tokio::task::spawn_blocking(move || {
        crate::audit::read_trail(
            &path,
            TrailFilter {
                secret: secret.as_deref(),
                from,
                to: None,
            },
        )
    })
    .await??;
    Ok(entries)
}

/// The console's routes, for the one table in `server/mod.rs`.
pub(super) fn routes(capped: impl Fn(Route) -> Route) -> Vec<Route> {
    vec![
        capped(entry("GET", "/ui", layout::to_overview)),
        capped(entry("GET", "/ui/", overview::page)),
        capped(entry("GET", "/ui/static/console.css", layout::stylesheet)),
        capped(entry("GET", "/ui/signin", signin::form)),
        capped(entry("POST", "/ui/signin", signin::submit)),
        capped(entry("POST", "/ui/signout", signin::signout)),
        capped(entry("GET", "/ui/secrets", secrets::list)),
        capped(entry("GET", "/ui/secrets/{address}", secret::page)),
        capped(entry(
            "GET",
            "/ui/secrets/{address}/evidence",
            secret::evidence,
        )),
        capped(entry("GET", "/ui/orphans", orphans::page)),
        capped(entry("GET", "/ui/approvals", approvals::page)),
        capped(entry(
            "POST",
            "/ui/approvals/{id}/approve",
            approvals::approve,
        )),
        capped(entry(
            "POST",
            "/ui/approvals/{id}/reject",
            approvals::reject,
        )),
        capped(entry("GET", "/ui/audit", audit::page)),
    ]
}
