//! The SCIM 2.0 service provider (RFC 7643 / 7644) under `/scim/v2`, on
//! when `[scim]` is configured (404 otherwise), with its own bearer token.
//!
//! ```text
//! routes     the handlers: authorize, read, act, answer (scim+json, ETag, Location)
//! resource   one resource's lifecycle: body -> row, render, If-Match, write + event + audit
//! users      userName, active (string booleans too), the owner mapping, what a change means
//! groups     displayName and members
//! patch      PATCH add / replace / remove, with or without a path
//! filter     `attr eq "value"` [and ...] for GET lists
//! discovery  ServiceProviderConfig, ResourceTypes, Schemas, ListResponse
//! errors     SCIM error bodies and their statuses
//! ```
//!
//! A user deactivated or deleted raises `io.tenure.owner.left` for the
//! owner id it maps to, reactivated `io.tenure.owner.returned`; a group
//! change raises `io.tenure.group.members` (its members as owner ids, for
//! records' `owner_group`). Each is stored as an event in the same
//! transaction as the resource, then applied exactly once by the event
//! processor like a signed webhook's.

mod discovery;
mod errors;
mod filter;
mod groups;
mod patch;
mod resource;
mod routes;
mod users;

use axum::http::{HeaderMap, header};

pub use errors::ScimError;

use super::{AppState, Route, entry};
use crate::config::{ScimConfig, ScimOwnerId};

/// The SCIM media type.
pub const CONTENT_TYPE: &str = "application/scim+json";

/// The intake's settings, read once when the server starts.
pub struct Scim {
    /// SHA-256 of the bearer token.
    digest: [u8; 32],
    /// How users map to owner ids.
    owner_id: ScimOwnerId,
    /// The public base URL for `meta.location`.
    base_url: Option<String>,
}

impl Scim {
    /// Reads the token `config` names; only its digest is kept.
    pub fn new(config: &ScimConfig) -> Result<Self, super::ServerError> {
        use super::ServerError;
        let digest = super::digest_of(Some(&config.token), "", ServerError::WeakScimToken)
            .map_err(|err| match err {
                ServerError::Credential { source, .. } => ServerError::ScimToken(source),
                other => other,
            })?
            .ok_or(ServerError::WeakScimToken)?;
        Ok(Self {
            digest,
            owner_id: config.owner_id,
            base_url: config.base_url.clone(),
        })
    }
}

/// The settings when the request carries the SCIM token; 404 when the
/// intake is off, 401 otherwise.
fn authorize<'a>(app: &'a AppState, headers: &HeaderMap) -> Result<&'a Scim, ScimError> {
    let scim = app.inner.scim.as_ref().ok_or(ScimError::Off)?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if super::matches(&scim.digest, presented) {
        Ok(scim)
    } else {
        Err(ScimError::Unauthorized)
    }
}

/// The SCIM routes, for the server's table; `with_body` marks the ones
/// that read a body.
pub(super) fn routes(
    with_body: impl Fn(Route) -> Route,
    capped: impl Fn(Route) -> Route,
) -> Vec<Route> {
    use routes::{Groups, Users};
    const USERS: &str = "/scim/v2/Users";
    const USER: &str = "/scim/v2/Users/{id}";
    const GROUPS: &str = "/scim/v2/Groups";
    const GROUP: &str = "/scim/v2/Groups/{id}";
    vec![
        capped(entry("GET", USERS, routes::list::<Users>)),
        with_body(entry("POST", USERS, routes::create::<Users>)),
        capped(entry("GET", USER, routes::get::<Users>)),
        with_body(entry("PUT", USER, routes::replace::<Users>)),
        with_body(entry("PATCH", USER, routes::modify::<Users>)),
        capped(entry("DELETE", USER, routes::remove::<Users>)),
        capped(entry("GET", GROUPS, routes::list::<Groups>)),
        with_body(entry("POST", GROUPS, routes::create::<Groups>)),
        capped(entry("GET", GROUP, routes::get::<Groups>)),
        with_body(entry("PUT", GROUP, routes::replace::<Groups>)),
        with_body(entry("PATCH", GROUP, routes::modify::<Groups>)),
        capped(entry("DELETE", GROUP, routes::remove::<Groups>)),
        capped(entry(
            "GET",
            "/scim/v2/ServiceProviderConfig",
            routes::service_provider_config,
        )),
        capped(entry(
            "GET",
            "/scim/v2/ResourceTypes",
            routes::resource_types,
        )),
        capped(entry(
            "GET",
            "/scim/v2/ResourceTypes/{id}",
            routes::resource_type,
        )),
        capped(entry("GET", "/scim/v2/Schemas", routes::schemas)),
        capped(entry("GET", "/scim/v2/Schemas/{id}", routes::schema)),
    ]
}
