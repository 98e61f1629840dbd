//! Refuses a request whose `Content-Length` is over the body limit before
//! reading a byte of it (413, counted like the handler's own refusals), so
//! an oversized request never takes a route's in-flight slot for longer
//! than it takes to answer.
//!
//! The unread body is then drained and discarded, at most [`DRAIN_BYTES`]
//! or [`DRAIN_TIME`], whichever comes first, as a "lingering close": a
//! client still sending gets to read the 413 instead of a reset connection.
//! A body without `Content-Length` (chunked) is limited while it is read by
//! the handler's extractor, which never buffers more than the limit.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::warn;

/// The most a refused body is drained before the connection is dropped.
pub const DRAIN_BYTES: u64 = 16 << 20;
/// The longest a refused body is drained.
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The limit and the event source it is counted under.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// The largest body accepted.
    pub max_bytes: usize,
    /// `webhook` or `eventgrid`, for the events counter.
    pub source: &'static str,
}

/// The middleware: 413 at once for a declared length over the limit.
pub async fn refuse_oversized(
    State(limit): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(declared) = declared.filter(|&n| n > limit.max_bytes as u64) else {
        return next.run(request).await;
    };
    crate::metrics::global().event(limit.source, "too_large");
    warn!(
        source = limit.source,
        declared, "Refused a request body over the limit before reading it."
    );
    tokio::spawn(drain(request.into_body()));
    let message = format!(
        "the body is {declared} bytes; the limit is {} bytes",
        limit.max_bytes
    );
    let mut response = (
        StatusCode::PAYLOAD_TOO_LARGE,
        Json(json!({ "error": message })),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// Reads and discards `body` within the drain bounds.
async fn drain(body: Body) {
    let mut body = body.into_data_stream();
    let mut seen = 0u64;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        use futures_util::StreamExt;
        while let Some(Ok(chunk)) = body.next().await {
            seen += chunk.len() as u64;
            if seen >= DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}
