//! `[targets.<name>] type = "mysql"`.

use std::time::Duration;

use serde::Deserialize;
use tenure_plugin_api::SecretSource;

/// What a revocation does to the account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeMode {
    /// `ALTER USER ... ACCOUNT LOCK` (the account and its grants stay, for audit).
    #[default]
    Lock,
    /// `DROP USER`.
    Drop,
}

fn default_account_host() -> String {
    "%".to_owned()
}

/// The mysql target's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MysqlConfig {
    /// The admin connection URL (`mysql://user:password@host:port/db`), from
    /// `{ env = "VAR" }` or `{ file = "path" }`.
    pub admin_url: SecretSource,
    /// The host part of the accounts Tenure manages (`'user'@'<host>'`). Default: `%`.
    #[serde(default = "default_account_host")]
    pub account_host: String,
    /// `lock` (default) or `drop`.
    #[serde(default)]
    pub revoke: RevokeMode,
    /// Length of generated passwords (16 to 80). Default: 32.
    #[serde(default = "tenure_plugin_api::defaults::password_length")]
    pub password_length: usize,
    /// Connect timeout. Default: 10s.
    #[serde(
        default = "tenure_plugin_api::defaults::connect_timeout",
        deserialize_with = "tenure_plugin_api::serde_duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

impl MysqlConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        tenure_plugin_api::serde_duration::check_length(self.password_length, 16, 80)
    }
}
