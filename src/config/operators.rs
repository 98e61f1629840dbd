//! The checked `[[server.operators]]` and `[server.oidc]`: who may call the
//! admin API, by static token or by an OIDC bearer token.

use std::path::PathBuf;

use crate::server::auth::Role;

/// One `[[server.operators]]` entry (or `server.admin_token`, the short
/// form of an operator named `admin` with the role `admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorConfig {
    /// The name the audit trail records.
    pub name: String,
    /// What the operator may do.
    pub role: Role,
    /// Where the token is read from at start (kept only as a digest).
    pub token: tenure_plugin_api::SecretSource,
    /// The token's key path, `server.operators[1].token` (or `server.admin_token`).
    pub key: String,
    /// `file:line:column` of the entry, for errors found when the token is read.
    pub at: String,
}

/// Where the identity provider's signing keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// Fetched over HTTPS (plain HTTP only on a loopback address), cached,
    /// and fetched again when a token names an unknown key.
    Url(String),
    /// Read once, at start.
    File(PathBuf),
}

/// `[server.oidc]`: OIDC bearer tokens (JWTs) of an identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must carry (one of its audiences).
    pub audience: String,
    /// The signing keys.
    pub jwks: JwksSource,
    /// The claim that holds the role: a string or an array of strings; the
    /// highest role named wins. A key with dots is also tried as a path
    /// (`realm_access.roles`).
    pub role_claim: String,
    /// The claim whose value names the operator. Default: `sub`.
    pub name_claim: String,
    /// `file:line:column` of the table, for errors found at start.
    pub at: String,
}
