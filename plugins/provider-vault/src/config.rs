//! `[providers.<name>] type = "vault"`.

use std::path::PathBuf;

use serde::Deserialize;
use tenure_plugin_api::SecretSource;

fn default_mount() -> String {
    "secret".to_owned()
}

fn default_staging() -> String {
    ".tenure-pending".to_owned()
}

/// How Tenure logs in to Vault.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum VaultAuth {
    /// A token, from `{ env = "VAULT_TOKEN" }` or `{ file = "..." }`.
    Token {
        /// The token's source.
        token: SecretSource,
    },
}

/// The vault provider's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// The server address, e.g. `{ env = "VAULT_ADDR" }` (it is not a secret,
    /// but usually comes from the environment like the token).
    pub address: SecretSource,
    /// How to log in.
    pub auth: VaultAuth,
    /// The KV v2 mount. Default: `secret`.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// Only secrets under this folder are inventoried. Default: the whole mount.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Where pending versions are staged. Default: `.tenure-pending`.
    #[serde(default = "default_staging")]
    pub staging: String,
    /// Vault Enterprise namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// A CA certificate file for TLS.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}
