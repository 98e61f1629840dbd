//! Configuration: TOML files in, a checked [`Config`] out.
//!
//! `load` reads the main file and the governance files its `include` globs
//! name (the only I/O here); [`document`] turns each file into typed parts
//! and [`build`] cross-checks them, both pure. Every problem in every file is
//! reported at once, each naming the file, line:column and key path.
//! Credentials appear only as `{ env = "VAR" }` / `{ file = "path" }`; they
//! are read when plugins are built, never here. Relative paths resolve
//! against the main config file's folder.

mod build;
mod check;
mod diagnostics;
pub(crate) mod document;
mod load;
mod operators;
mod raw;
mod reactions;
mod targets;
mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use diagnostics::{ConfigError, Diagnostic, SourceFile, resolve};
pub use load::load;
pub use operators::{JwksSource, OidcConfig, OperatorConfig};
pub use targets::{DiscoverConfig, TargetSettings, UnmanagedAction};

use crate::governance::Governance;
use crate::plugins::{ProviderConfig, TargetConfig};
use crate::policy::Defaults;

/// How failed workflow steps are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed attempts before the secret is quarantined and escalated.
    pub max_attempts: u32,
    /// The first backoff.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// Consecutive failed runs before a secret is quarantined.
    pub quarantine_after: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            quarantine_after: 3,
        }
    }
}

/// `[server]`: the HTTP listener for events, the admin API and operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Where to listen.
    pub listen: std::net::SocketAddr,
    /// The admin API's bearer token; without it the admin API is off.
    pub admin_token: Option<tenure_plugin_api::SecretSource>,
    /// The Standard Webhooks `whsec_` secret; without it `/v1/events` is off.
    pub webhook_secret: Option<tenure_plugin_api::SecretSource>,
    /// The shared key Azure Event Grid sends as `?key=` on `/v1/eventgrid`;
    /// without it that endpoint is off.
    pub eventgrid_key: Option<tenure_plugin_api::SecretSource>,
    /// A token that unlocks the per-secret metric series (the admin token
    /// does too); without either, `/metrics` serves aggregates only.
    pub metrics_token: Option<tenure_plugin_api::SecretSource>,
    /// The largest request body accepted on any route (413 above), checked
    /// before it is buffered.
    pub max_body_bytes: usize,
    /// Connections open at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Requests in flight at once per route; more get 503.
    pub max_in_flight: usize,
    /// How long a client has for the TLS handshake and each request's
    /// headers (an idle keep-alive connection is closed after it too).
    pub header_timeout: Duration,
    /// How long a client has to send a request's body (408 after it).
    pub request_timeout: Duration,
    /// How long in-flight work may take to finish or checkpoint after SIGTERM.
    pub shutdown_deadline: Duration,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<TlsFiles>,
    /// The named operators of the admin API (`server.admin_token` first,
    /// as the operator `admin`, when set).
    pub operators: Vec<OperatorConfig>,
    /// OIDC bearer tokens for the admin API.
    pub oidc: Option<OidcConfig>,
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key (a file, 0600, never inline).
    pub key: PathBuf,
}

/// How a SCIM user maps to a Tenure owner id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScimOwnerId {
    /// The user's `userName`, as sent.
    #[default]
    UserName,
    /// The user's primary email (else its first), falling back to `userName`.
    Email,
}

/// `[scim]`: the SCIM 2.0 service provider under `/scim/v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimConfig {
    /// The identity provider's bearer token (kept only as a digest once read).
    pub token: tenure_plugin_api::SecretSource,
    /// How a user maps to an owner id.
    pub owner_id: ScimOwnerId,
    /// The public base URL for `meta.location` (`https://host/scim/v2`);
    /// `None`: locations are the path `/scim/v2/...`.
    pub base_url: Option<String>,
}

/// `[nats]`: a JetStream subject as a second event source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// The server, `nats://host:port`.
    pub url: String,
    /// The subject events are published on.
    pub subject: String,
    /// The stream that holds them (created if missing). Default: TENURE_EVENTS
    pub stream: String,
    /// The durable consumer's name. Default: tenure
    pub durable: String,
    /// A token, if the server wants one.
    pub token: Option<tenure_plugin_api::SecretSource>,
}

/// `[notify]`: the owners' webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Where to POST (Slack incoming-webhook URLs are secrets, so this is a source).
    pub url: tenure_plugin_api::SecretSource,
    /// Tell owners this long before a secret expires.
    pub upcoming_within: Duration,
    /// Attempts per notification before it is dropped (and logged).
    pub max_attempts: u32,
}

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main config file.
    pub path: PathBuf,
    /// Every file read (the main file first).
    pub files: Vec<PathBuf>,
    /// Where the state store lives.
    pub state_dir: PathBuf,
    /// A PostgreSQL state store shared by several replicas (its URL holds a
    /// password, so it is a source); `None`: SQLite in `state_dir`.
    pub state_url: Option<tenure_plugin_api::SecretSource>,
    /// The audit trail.
    pub audit_log: PathBuf,
    /// The Ed25519 key that signs the trail's checkpoints (PKCS#8 PEM);
    /// default `<state_dir>/audit.key`, created on first use.
    pub audit_key: tenure_plugin_api::SecretSource,
    /// How often the service re-reads inventories when nothing is due sooner.
    pub reconcile_interval: Duration,
    /// How long a lease on a secret lasts without renewal.
    pub lease_ttl: Duration,
    /// How long attestation passes (every result each covered) are kept.
    pub attest_retention: Duration,
    /// How many secrets are acted on at once.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// The HTTP server, when `[server]` is present.
    pub server: Option<ServerConfig>,
    /// The SCIM 2.0 intake, when `[scim]` is present.
    pub scim: Option<ScimConfig>,
    /// Which actions wait for a second person (`[approvals]`; by default none).
    pub approvals: crate::approvals::ApprovalPolicy,
    /// Owner notifications, when `[notify]` is present.
    pub notify: Option<NotifyConfig>,
    /// NATS JetStream as an event source, when `[nats]` is present.
    pub nats: Option<NatsConfig>,
    /// When due rotations may start (`[schedule]`).
    pub schedule: crate::scheduler::SchedulePolicy,
    /// Per-provider action budgets (`[schedule.providers.<name>]`).
    pub budgets: std::collections::HashMap<String, crate::scheduler::Budget>,
    /// Policy where no record applies.
    pub defaults: Defaults,
    /// Providers by name.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Targets by name.
    pub targets: BTreeMap<String, TargetConfig>,
    /// Each target's attestation budget and discovery, by name.
    pub target_settings: BTreeMap<String, TargetSettings>,
    /// Records, owners and workloads.
    pub governance: Governance,
}

/// The configuration in effect, swapped whole when governance is reloaded or
/// an event changes it; readers take a snapshot and keep it for one pass.
#[derive(Debug, Clone)]
pub struct SharedConfig(std::sync::Arc<arc_swap::ArcSwap<Config>>);

impl SharedConfig {
    /// The configuration now.
    pub fn current(&self) -> std::sync::Arc<Config> {
        self.0.load_full()
    }

    /// Replaces the configuration.
    pub fn replace(&self, config: Config) {
        self.0.store(std::sync::Arc::new(config));
    }
}

impl From<Config> for SharedConfig {
    fn from(config: Config) -> Self {
        std::sync::Arc::new(config).into()
    }
}

impl From<std::sync::Arc<Config>> for SharedConfig {
    fn from(config: std::sync::Arc<Config>) -> Self {
        Self(std::sync::Arc::new(arc_swap::ArcSwap::new(config)))
    }
}

#[cfg(test)]
mod tests;
