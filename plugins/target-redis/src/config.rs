//! `[targets.<name>] type = "redis"`.

use std::time::Duration;

use serde::Deserialize;
use tenure_plugin_api::SecretSource;

/// The redis target's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// The admin connection URL (`redis://user:password@host:port`), from
    /// `{ env = "VAR" }` or `{ file = "path" }`. The user needs the `ACL`
    /// and `CLIENT` commands.
    pub admin_url: SecretSource,
    /// The CA (PEM) that signed a `rediss://` server's certificate; without
    /// it, the system's roots. Used for the admin connection and every login.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Length of generated passwords (16 to 256). Default: 32.
    #[serde(default = "tenure_plugin_api::defaults::password_length")]
    pub password_length: usize,
    /// Connect timeout. Default: 10s.
    #[serde(
        default = "tenure_plugin_api::defaults::connect_timeout",
        deserialize_with = "tenure_plugin_api::serde_duration::deserialize"
    )]
    pub connect_timeout: Duration,
}

impl RedisConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        tenure_plugin_api::serde_duration::check_length(self.password_length, 16, 256)
    }
}
