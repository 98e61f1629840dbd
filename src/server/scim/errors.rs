//! SCIM error responses (RFC 7644 §3.12): the `Error` message schema, the
//! status as a string, and `scimType` where the RFC defines one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::CONTENT_TYPE;

/// Why a SCIM request was refused; each maps to one status.
#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    /// The intake is off (`[scim]` is not configured): 404.
    #[error("the SCIM endpoints are off: add a [scim] section")]
    Off,
    /// No bearer token, or the wrong one: 401.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// No resource with that id: 404.
    #[error("{kind} {id} not found")]
    NotFound {
        /// `User`, `Group`, `ResourceType` or `Schema`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// Another resource already has the unique name: 409 `uniqueness`.
    #[error("{0}")]
    Uniqueness(String),
    /// `If-Match` names another version: 412.
    #[error("the resource has changed: its version is not the one in If-Match")]
    PreconditionFailed,
    /// A value is missing or wrong: 400 `invalidValue`.
    #[error("{0}")]
    InvalidValue(String),
    /// The filter cannot be read or uses what is not supported: 400 `invalidFilter`.
    #[error("{0}")]
    InvalidFilter(String),
    /// The body is not JSON or not a SCIM message: 400 `invalidSyntax`.
    #[error("{0}")]
    InvalidSyntax(String),
    /// A PATCH path cannot be read: 400 `invalidPath`.
    #[error("{0}")]
    InvalidPath(String),
    /// A `remove` without a path: 400 `noTarget`.
    #[error("{0}")]
    NoTarget(String),
    /// The state store or the audit trail failed: 503.
    #[error("{0}")]
    Unavailable(String),
}

impl ScimError {
    /// The status and the `scimType`, if the RFC defines one for it.
    fn status(&self) -> (StatusCode, Option<&'static str>) {
        match self {
            Self::Off => (StatusCode::NOT_FOUND, None),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, None),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, None),
            Self::Uniqueness(_) => (StatusCode::CONFLICT, Some("uniqueness")),
            Self::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, None),
            Self::InvalidValue(_) => (StatusCode::BAD_REQUEST, Some("invalidValue")),
            Self::InvalidFilter(_) => (StatusCode::BAD_REQUEST, Some("invalidFilter")),
            Self::InvalidSyntax(_) => (StatusCode::BAD_REQUEST, Some("invalidSyntax")),
            Self::InvalidPath(_) => (StatusCode::BAD_REQUEST, Some("invalidPath")),
            Self::NoTarget(_) => (StatusCode::BAD_REQUEST, Some("noTarget")),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, None),
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let (status, scim_type) = self.status();
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": self.to_string(),
        });
        if let Some(scim_type) = scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
