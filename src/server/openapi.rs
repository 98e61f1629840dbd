//! `GET /v1/openapi.json`: the OpenAPI 3.1 document of every route of the
//! server, as written in `openapi.json` beside this file and compiled in.
//!
//! The document describes each route's parameters, request and response
//! bodies (JSON schemas under `components`), its security (the admin and
//! metrics bearer tokens, the Event Grid key) and every status its handler
//! and layers can answer, the in-flight cap's 503 with `Retry-After`
//! included. It is written by hand; `tests/integration/openapi/` holds it
//! to the router's table and sends one real request per operation, and
//! `scripts/schemathesis` fuzzes the running service against it. It needs no
//! authentication: it names routes, not secrets.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub(super) const DOCUMENT: &str = include_str!("openapi.json");

/// Serves [`DOCUMENT`] as `application/json`.
pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
