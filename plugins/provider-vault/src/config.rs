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

fn default_approle_mount() -> String {
    "approle".to_owned()
}

fn default_kubernetes_mount() -> String {
    "kubernetes".to_owned()
}

fn default_jwt_file() -> PathBuf {
    PathBuf::from("/var/run/secrets/kubernetes.io/serviceaccount/token")
}

/// How Tenure logs in to Vault. Whatever the method, a token with a TTL is
/// renewed when two thirds of its TTL have passed, and a login method logs in
/// again when the token can no longer be renewed (its max TTL is near).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum VaultAuth {
    /// A token, from `{ env = "VAULT_TOKEN" }` or `{ file = "..." }`.
    Token {
        /// The token's source.
        token: SecretSource,
    },
    /// AppRole: a role id and (unless the role has `bind_secret_id = false`)
    /// a secret id.
    #[serde(rename = "approle")]
    AppRole {
        /// Where the AppRole method is mounted. Default: `approle`.
        #[serde(default = "default_approle_mount")]
        mount: String,
        /// The role id's source.
        role_id: SecretSource,
        /// The secret id's source.
        #[serde(default)]
        secret_id: Option<SecretSource>,
    },
    /// Kubernetes: the pod's service-account JWT, read from its file at
    /// every login (projected tokens rotate).
    Kubernetes {
        /// Where the Kubernetes method is mounted. Default: `kubernetes`.
        #[serde(default = "default_kubernetes_mount")]
        mount: String,
        /// The Vault role to log in as.
        role: String,
        /// The JWT file. Default:
        /// `/var/run/secrets/kubernetes.io/serviceaccount/token`.
        #[serde(default = "default_jwt_file")]
        jwt_file: PathBuf,
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
    /// A CA certificate file (PEM, may hold several) trusted for TLS, in
    /// addition to the system roots. TLS is always verified.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}
