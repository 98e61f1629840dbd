//! The config files' shape, as serde reads it (before cross-checks).

use std::path::PathBuf;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::values::{Cron, Dur, Every, Timestamp};
use crate::governance::{Action, OwnerStatus, WorkloadStatus};

/// `[tenure]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTenure {
    pub state_dir: Option<PathBuf>,
    pub state_url: Option<tenure_plugin_api::SecretSource>,
    pub audit_log: Option<PathBuf>,
    pub audit_key: Option<tenure_plugin_api::SecretSource>,
    /// Read separately (see `document::read_file`); declared so serde accepts and lists it.
    #[serde(default)]
    #[allow(dead_code)]
    pub include: Vec<Spanned<String>>,
    pub reconcile_interval: Option<Dur>,
    pub lease_ttl: Option<Dur>,
    pub concurrency: Option<Spanned<usize>>,
    pub attest_retention: Option<Dur>,
}

/// `[server]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<Spanned<String>>,
    pub admin_token: Option<Spanned<tenure_plugin_api::SecretSource>>,
    pub webhook_secret: Option<tenure_plugin_api::SecretSource>,
    pub eventgrid_key: Option<tenure_plugin_api::SecretSource>,
    pub metrics_token: Option<tenure_plugin_api::SecretSource>,
    pub max_body_bytes: Option<Spanned<usize>>,
    pub max_connections: Option<Spanned<usize>>,
    pub max_in_flight: Option<Spanned<usize>>,
    pub header_timeout: Option<Dur>,
    pub request_timeout: Option<Dur>,
    pub shutdown_deadline: Option<Dur>,
    pub tls_cert: Option<Spanned<PathBuf>>,
    pub tls_key: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub operators: Vec<Spanned<RawOperator>>,
    pub oidc: Option<Spanned<RawOidc>>,
}

/// `[[server.operators]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOperator {
    pub name: Spanned<String>,
    pub role: Spanned<String>,
    pub token: Spanned<tenure_plugin_api::SecretSource>,
}

/// `[server.oidc]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOidc {
    pub issuer: Spanned<String>,
    pub audience: Spanned<String>,
    pub jwks: Spanned<RawJwks>,
    pub role_claim: Spanned<String>,
    pub name_claim: Option<Spanned<String>>,
}

/// `jwks = { url = ".." } | { file = ".." }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJwks {
    pub url: Option<Spanned<String>>,
    pub file: Option<Spanned<PathBuf>>,
}

/// `[scim]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScim {
    pub token: tenure_plugin_api::SecretSource,
    pub owner_id: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
}

/// `[approvals]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprovals {
    #[serde(default)]
    pub require: Vec<Spanned<String>>,
    pub bypass: Option<Vec<Spanned<String>>>,
    pub ttl: Option<Spanned<Dur>>,
    pub api_url: Option<Spanned<String>>,
}

/// `[nats]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNats {
    pub url: Spanned<String>,
    pub subject: Spanned<String>,
    pub stream: Option<Spanned<String>>,
    pub durable: Option<Spanned<String>>,
    pub token: Option<tenure_plugin_api::SecretSource>,
}

/// `[notify]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub url: tenure_plugin_api::SecretSource,
    pub upcoming_within: Option<Dur>,
    pub max_attempts: Option<Spanned<u32>>,
}

/// `[schedule]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    #[serde(default)]
    pub windows: Vec<Spanned<String>>,
    #[serde(default)]
    pub blackouts: Vec<Spanned<RawBlackout>>,
    pub jitter: Option<Dur>,
    #[serde(default)]
    pub providers: std::collections::BTreeMap<Spanned<String>, RawBudget>,
}

/// `{ from, until, reason }` in `schedule.blackouts`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlackout {
    pub from: Timestamp,
    pub until: Timestamp,
    pub reason: String,
}

/// `[schedule.providers.<name>]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub concurrency: Option<Spanned<usize>>,
    pub per_second: Option<Spanned<f64>>,
}

/// The keys every `[targets.<name>]` table may hold besides its plugin's own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetSettings {
    /// The attestation budget: `{ concurrency, per_second }`.
    pub attest: Option<RawBudget>,
    /// Discovery of unmanaged accounts: `{ include, exclude, every }`.
    pub discover: Option<Spanned<RawDiscover>>,
    /// What to do with an unmanaged account.
    pub on_unmanaged: Option<Spanned<crate::config::UnmanagedAction>>,
}

/// `discover = { include, exclude, every }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscover {
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    pub every: Option<Dur>,
}

/// `[retry]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    pub max_attempts: Option<Spanned<u32>>,
    pub initial_backoff: Option<Dur>,
    pub max_backoff: Option<Dur>,
    pub quarantine_after: Option<Spanned<u32>>,
}

/// The `on_<finding>` keys of `[defaults]` and of a record, by name.
pub type RawReactions<'a> = [(&'static str, Option<&'a Spanned<Action>>); 11];

/// Declares a raw struct whose last keys are the eleven `on_<finding>`
/// keys (in the order of [`RawReactions`]), with `reactions()` listing them
/// by name: the one place those keys are written.
macro_rules! with_reactions {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            pub on_owner_left: Option<Spanned<Action>>,
            pub on_owner_changed: Option<Spanned<Action>>,
            pub on_workload_moved: Option<Spanned<Action>>,
            pub on_workload_decommissioned: Option<Spanned<Action>>,
            pub on_review_lapsed: Option<Spanned<Action>>,
            pub on_credential_rejected: Option<Spanned<Action>>,
            pub on_revocation_undone: Option<Spanned<Action>>,
            pub on_retired_credential_alive: Option<Spanned<Action>>,
            pub on_retired_value_readable: Option<Spanned<Action>>,
            pub on_scope_missing: Option<Spanned<Action>>,
            pub on_attestation_unavailable: Option<Spanned<Action>>,
        }

        impl $name {
            /// The `on_*` keys, by name.
            pub fn reactions(&self) -> RawReactions<'_> {
                [
                    ("on_owner_left", self.on_owner_left.as_ref()),
                    ("on_owner_changed", self.on_owner_changed.as_ref()),
                    ("on_workload_moved", self.on_workload_moved.as_ref()),
                    ("on_workload_decommissioned", self.on_workload_decommissioned.as_ref()),
                    ("on_review_lapsed", self.on_review_lapsed.as_ref()),
                    ("on_credential_rejected", self.on_credential_rejected.as_ref()),
                    ("on_revocation_undone", self.on_revocation_undone.as_ref()),
                    ("on_retired_credential_alive", self.on_retired_credential_alive.as_ref()),
                    ("on_retired_value_readable", self.on_retired_value_readable.as_ref()),
                    ("on_scope_missing", self.on_scope_missing.as_ref()),
                    ("on_attestation_unavailable", self.on_attestation_unavailable.as_ref()),
                ]
            }
        }
    };
}

with_reactions! {
    /// `[defaults]`
    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawDefaults {
        pub on_orphan: Option<Spanned<Action>>,
        pub renew_before: Option<Dur>,
        pub grace: Option<Dur>,
        pub attest_every: Option<Every>,
    }
}

/// `approval = { by, at, ticket }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApproval {
    pub by: String,
    pub at: Timestamp,
    pub ticket: Option<String>,
}

/// `exception = { until, reason, approved_by }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawException {
    pub until: Timestamp,
    pub reason: String,
    pub approved_by: String,
}

with_reactions! {
    /// `[[records]]`
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RawRecord {
        pub id: Spanned<String>,
        pub secrets: Spanned<String>,
        pub target: Spanned<String>,
        pub account: Option<Spanned<String>>,
        pub owner: String,
        pub owner_group: Option<Spanned<String>>,
        pub purpose: String,
        #[serde(default)]
        pub workloads: Vec<String>,
        pub max_age: Option<Spanned<Dur>>,
        pub schedule: Option<Cron>,
        pub expires: Option<Timestamp>,
        pub renew_before: Option<Spanned<Dur>>,
        pub grace: Option<Dur>,
        pub recovery_window: Option<Dur>,
        #[serde(default)]
        pub leases: Vec<Spanned<String>>,
        #[serde(default)]
        pub scopes: Vec<Spanned<String>>,
        pub approval: RawApproval,
        pub review_by: Option<Timestamp>,
        pub exception: Option<RawException>,
        pub attest_every: Option<Every>,
        pub require_approval: Option<Vec<Spanned<String>>>,
    }
}

/// `[[owners]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOwner {
    pub id: Spanned<String>,
    pub status: OwnerStatus,
    pub since: Option<Timestamp>,
    /// Informational only (shown to people reading the file).
    #[allow(dead_code)]
    pub name: Option<String>,
}

/// `[[workloads]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub id: Spanned<String>,
    pub status: Spanned<WorkloadStatus>,
    pub since: Option<Timestamp>,
    /// Informational only (shown to people reading the file).
    #[allow(dead_code)]
    pub description: Option<String>,
}
