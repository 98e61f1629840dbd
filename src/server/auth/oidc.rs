//! OIDC bearer tokens: a JWT of `[server.oidc]`'s identity provider is
//! checked (signature by the key its `kid` names, `exp`/`nbf` with
//! [`LEEWAY_SECS`] of leeway, `iss`, `aud`) and becomes an [`Actor`] named
//! by the name claim, with the highest role the role claim names.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::jwks::{Jwks, KeyError};
use super::{Actor, AuthSetupError, Refusal, Role, Via};
use crate::config::{JwksSource, OidcConfig};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// The signature algorithms accepted; never `none`, never a shared secret.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The identity provider's settings and keys.
pub struct Oidc {
    config: OidcConfig,
    keys: Jwks,
}

impl Oidc {
    /// Reads the key set file now; a URL is fetched on first use.
    pub fn new(config: &OidcConfig) -> Result<Self, AuthSetupError> {
        let keys = match &config.jwks {
            JwksSource::Url(url) => Jwks::remote(url.clone()),
            JwksSource::File(path) => {
                let error = |why: String| AuthSetupError::Jwks {
                    at: config.at.clone(),
                    why: format!("{}: {why}", path.display()),
                };
                let bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
                Jwks::fixed(super::jwks::parse(&bytes).map_err(error)?)
            }
        };
        Ok(Self {
            config: config.clone(),
            keys,
        })
    }

    /// The actor `token` proves, or why it proves nothing (401) or names
    /// no known role (403).
    pub async fn verify(&self, token: &str) -> Result<Actor, Refusal> {
        let unauthorized = |why: &str| Refusal::Unauthorized(why.to_owned());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("the bearer token is neither an operator's token nor a JWT with an accepted algorithm"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(unauthorized("the JWT's algorithm is not accepted"));
        }
        let jwk = self.keys.key(header.kid.as_deref()).await.map_err(|err| {
            if let KeyError::Unavailable(_) = err {
                tracing::warn!(error = %err, "Refused a JWT: no key to check it with.");
            }
            Refusal::Unauthorized(err.to_string())
        })?;
        if let Some(alg) = jwk.common.key_algorithm
            && Algorithm::try_from(alg).ok() != Some(header.alg)
        {
            return Err(unauthorized("the JWT's algorithm is not its key's"));
        }
        let key = DecodingKey::from_jwk(&jwk)
            .map_err(|_| unauthorized("the JWT's key cannot check its algorithm"))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|err| Refusal::Unauthorized(why(err.kind()).to_owned()))?
            .claims;
        let name = claim(&claims, &self.config.name_claim)
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .ok_or_else(|| {
                Refusal::Unauthorized(format!("the JWT has no {:?} claim", self.config.name_claim))
            })?;
        let role = highest_role(claim(&claims, &self.config.role_claim)).ok_or_else(|| {
            Refusal::Forbidden(format!(
                "the JWT's {:?} claim names no known role (viewer, operator, approver, admin)",
                self.config.role_claim
            ))
        })?;
        Ok(Actor {
            name: name.to_owned(),
            role,
            via: Via::Oidc,
        })
    }
}

/// What a failed check says (never the token).
fn why(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the JWT has expired",
        ErrorKind::ImmatureSignature => "the JWT is not valid yet",
        ErrorKind::InvalidIssuer => "the JWT's issuer is not the configured one",
        ErrorKind::InvalidAudience => "the JWT is not for this audience",
        ErrorKind::InvalidSignature => "the JWT's signature does not verify",
        ErrorKind::MissingRequiredClaim(_) => "the JWT lacks exp, iss or aud",
        ErrorKind::InvalidAlgorithm => "the JWT's algorithm is not its key's",
        _ => "the JWT is malformed",
    }
}

/// The claim `name`: the key itself, else a dotted path (`realm_access.roles`).
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).or_else(|| {
        let mut parts = name.split('.');
        let first = claims.get(parts.next()?)?;
        parts.try_fold(first, |value, part| value.get(part))
    })
}

/// The highest role a string or an array of strings names.
fn highest_role(value: Option<&Value>) -> Option<Role> {
    let names: Vec<&str> = match value? {
        Value::String(name) => vec![name.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    names
        .into_iter()
        .filter_map(|n| n.parse::<Role>().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_highest_known_role_wins_and_paths_are_followed() {
        let claims = json!({
            "roles": ["viewer", "tenure-users", "approver", "operator"],
            "realm_access": { "roles": ["admin"] },
            "https://example.com/role": "operator",
            "groups": ["staff"],
        });
        let claims = claims.as_object().expect("object");
        let role = |name: &str| highest_role(claim(claims, name));
        assert_eq!(role("roles"), Some(Role::Approver));
        assert_eq!(role("realm_access.roles"), Some(Role::Admin));
        assert_eq!(role("https://example.com/role"), Some(Role::Operator));
        assert_eq!(role("groups"), None);
        assert_eq!(role("missing"), None);
    }
}
