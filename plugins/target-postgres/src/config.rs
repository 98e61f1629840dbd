//! `[targets.<name>] type = "postgres"`.

use std::time::Duration;

use serde::Deserialize;
use tenure_plugin_api::SecretSource;

/// How a rotation changes the credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// One role; its password changes.
    #[default]
    Single,
    /// Two roles `<name>_a` / `<name>_b` alternate.
    Dual,
}

/// What a revocation does to the role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeMode {
    /// `ALTER ROLE ... NOLOGIN` (the role and its grants stay, for audit).
    #[default]
    Nologin,
    /// `DROP OWNED BY` and `DROP ROLE`.
    Drop,
}

/// The postgres target's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// The admin connection URL (`postgres://user:password@host:port/db`),
    /// from `{ env = "VAR" }` or `{ file = "path" }`.
    pub admin_url: SecretSource,
    /// `single` (default) or `dual`.
    #[serde(default)]
    pub strategy: Strategy,
    /// `nologin` (default) or `drop`.
    #[serde(default)]
    pub revoke: RevokeMode,
    /// Length of generated passwords (16 to 256). Default: 32.
    #[serde(default = "tenure_plugin_api::defaults::password_length")]
    pub password_length: usize,
    /// Connect timeout for admin and test connections. Default: 10s.
    #[serde(
        default = "tenure_plugin_api::defaults::connect_timeout",
        deserialize_with = "tenure_plugin_api::serde_duration::deserialize"
    )]
    pub connect_timeout: Duration,
    /// Most admin connections at once. Default: 8.
    #[serde(default)]
    pub max_admin_connections: Option<u32>,
}

impl PostgresConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        tenure_plugin_api::serde_duration::check_length(self.password_length, 16, 256)
    }
}
