//! Who is calling the admin API, and may they: the bearer token becomes an
//! [`Actor`] (a named operator's static token, or an OIDC JWT), and the
//! route's [`Permission`] is checked against the actor's [`Role`].
//!
//! ```text
//! roles    the role table, and the permission each admin route needs
//! actor    Actor { name, role, via }, as the audit trail records it
//! tokens   [[server.operators]] tokens, kept as SHA-256 digests
//! oidc     [server.oidc]: JWT checks, name and role from claims
//! jwks     the identity provider's keys: file, or URL fetched and cached
//! ```
//!
//! 401 with `WWW-Authenticate: Bearer` when the token is missing or proves
//! nothing (unknown, expired, wrong signature, issuer or audience); 403
//! when the actor's role lacks the permission; 404 when no operator and no
//! identity provider is configured (the admin API is off).

mod actor;
mod jwks;
mod oidc;
pub mod roles;
mod tokens;

#[cfg(test)]
mod tests;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use actor::{Actor, Via};
pub use roles::{Permission, Role};

use super::AppState;
use crate::config::ServerConfig;

/// Why the operators' credentials could not be read at start.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    /// A token's source could not be read.
    #[error("{at}: {key}: {source}")]
    Token {
        /// `file:line:column` of the operator.
        at: String,
        /// `server.operators[N].token` or `server.admin_token`.
        key: String,
        /// Why.
        source: tenure_plugin_api::SourceError,
    },
    /// A token is too short to resist guessing.
    #[error("{at}: {key}: must be at least 16 characters")]
    WeakToken {
        /// `file:line:column` of the operator.
        at: String,
        /// The key path.
        key: String,
    },
    /// Two operators have the same token, so it names neither.
    #[error("{at}: {key}: the same token as {first}; every operator needs its own")]
    SharedToken {
        /// `file:line:column` of the second operator.
        at: String,
        /// The key path of the second.
        key: String,
        /// The key path of the first.
        first: String,
    },
    /// The JWK Set file could not be read or parsed.
    #[error("{at}: server.oidc.jwks: {why}")]
    Jwks {
        /// `file:line:column` of `[server.oidc]`.
        at: String,
        /// Why.
        why: String,
    },
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No operator and no identity provider: the admin API is off (404).
    Off,
    /// No token, or one that proves nothing (401).
    Unauthorized(String),
    /// Known, but the role is not enough (403).
    Forbidden(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Self::Off => (
                StatusCode::NOT_FOUND,
                "the admin API is off: set server.operators, server.oidc or server.admin_token"
                    .to_owned(),
            ),
            Self::Unauthorized(why) => (StatusCode::UNAUTHORIZED, why),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The operators' tokens and the identity provider, read at start.
pub struct Authenticator {
    tokens: tokens::Tokens,
    oidc: Option<oidc::Oidc>,
}

impl Authenticator {
    /// Reads every operator's token and the JWK Set file, if any.
    pub fn new(config: &ServerConfig) -> Result<Self, AuthSetupError> {
        Ok(Self {
            tokens: tokens::Tokens::read(&config.operators)?,
            oidc: config.oidc.as_ref().map(oidc::Oidc::new).transpose()?,
        })
    }

    /// The actor the request's bearer token proves.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Actor, Refusal> {
        self.authenticate_token(bearer(headers)).await
    }

    /// Whether any operator or identity provider is configured (else the
    /// admin API and the console's sign-in are off).
    pub fn is_on(&self) -> bool {
        !self.tokens.is_empty() || self.oidc.is_some()
    }

    /// The actor a token proves (a bearer token, or one pasted into the
    /// console's sign-in form).
    pub async fn authenticate_token(&self, presented: Option<&str>) -> Result<Actor, Refusal> {
        if !self.is_on() {
            return Err(Refusal::Off);
        }
        let Some(presented) = presented.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(Refusal::Unauthorized(
                "a valid bearer token is required".to_owned(),
            ));
        };
        if let Some(actor) = self.tokens.find(presented) {
            return Ok(actor);
        }
        match &self.oidc {
            Some(oidc) if presented.split('.').count() == 3 => oidc.verify(presented).await,
            _ => Err(Refusal::Unauthorized(
                "a valid bearer token is required".to_owned(),
            )),
        }
    }

    /// The actor, when their role has `permission`.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        permission: Permission,
    ) -> Result<Actor, Refusal> {
        let actor = self.authenticate(headers).await?;
        if actor.can(permission) {
            Ok(actor)
        } else {
            Err(Refusal::Forbidden(format!(
                "{:?} (role {}) may not do this: it needs the role {} or one with its rights",
                actor.name,
                actor.role,
                permission.least_role()
            )))
        }
    }
}

/// The `Authorization: Bearer` token of a request.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

/// The middleware of a guarded route: the request goes on with its
/// [`Actor`] in its extensions, or is refused.
pub async fn guard(
    State((app, permission)): State<(AppState, Permission)>,
    mut request: Request,
    next: Next,
) -> Response {
    match app
        .inner
        .auth
        .authorize(request.headers(), permission)
        .await
    {
        Ok(actor) => {
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        Err(refusal) => refusal.into_response(),
    }
}
