//! CloudEvents 1.0 over HTTP: structured mode (`application/cloudevents+json`,
//! the whole event in the body) and binary mode (attributes in `ce-*`
//! headers, the body is `data`). Only what Tenure reads is kept.
//!
//! A signed webhook takes structured mode only ([`parse_structured`]): the
//! Standard Webhooks signature covers the body, not the `ce-*` headers, so
//! in binary mode anyone on the path could change an event's type, id or
//! source without breaking the signature. NATS takes both ([`parse`]):
//! there, the right to publish on the subject is the authority.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// One CloudEvent, as Tenure reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// `id`.
    pub id: String,
    /// `source`.
    pub source: String,
    /// `type`.
    pub kind: String,
    /// `time`, if given.
    pub time: Option<DateTime<Utc>>,
    /// `data` (JSON), `Null` when absent.
    pub data: Value,
}

/// Why a request is not a CloudEvent Tenure can read. Each means 400, except
/// [`FormatError::UnsupportedMediaType`] (415).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The body is not valid JSON.
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    /// A required attribute is missing or empty.
    #[error("missing CloudEvents attribute `{0}`")]
    Missing(&'static str),
    /// An attribute has the wrong form.
    #[error("CloudEvents attribute `{0}` is invalid")]
    Invalid(&'static str),
    /// Not CloudEvents 1.0.
    #[error("unsupported CloudEvents specversion {0:?}; expected \"1.0\"")]
    SpecVersion(String),
    /// Neither structured nor binary mode.
    #[error(
        "unsupported content type {0:?}: send application/cloudevents+json, or application/json with ce-* headers"
    )]
    UnsupportedMediaType(String),
    /// Binary mode where only structured mode is taken.
    #[error(
        "binary-mode CloudEvents are refused here: the webhook signature does not cover ce-* headers; send the whole event as application/cloudevents+json"
    )]
    BinaryModeRefused,
}

/// Reads a structured-mode CloudEvent (the whole event in the signed body);
/// binary mode is refused.
pub fn parse_structured(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<CloudEvent, FormatError> {
    match media_type(content_type).as_str() {
        "application/cloudevents+json" => structured(body),
        _ => Err(FormatError::BinaryModeRefused),
    }
}

fn media_type(content_type: Option<&str>) -> String {
    content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Reads the attributes a request carries: `header(name)` looks up one
/// header (names in lower case).
pub fn parse<'h>(
    content_type: Option<&str>,
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
) -> Result<CloudEvent, FormatError> {
    let media = media_type(content_type);
    if media == "application/cloudevents+json" {
        return structured(body);
    }
    if header("ce-specversion").is_some() {
        if !(media == "application/json" || media.ends_with("+json") || media.is_empty()) {
            return Err(FormatError::UnsupportedMediaType(media));
        }
        return binary(header, body);
    }
    Err(FormatError::UnsupportedMediaType(media))
}

fn json(body: &[u8]) -> Result<Value, FormatError> {
    serde_json::from_slice(body).map_err(|e| FormatError::Json(e.to_string()))
}

fn required(value: Option<&str>, name: &'static str) -> Result<String, FormatError> {
    match value.map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(FormatError::Missing(name)),
    }
}

fn time(value: Option<&str>) -> Result<Option<DateTime<Utc>>, FormatError> {
    value
        .map(|t| {
            DateTime::parse_from_rfc3339(t.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| FormatError::Invalid("time"))
        })
        .transpose()
}

fn check_version(version: Option<&str>) -> Result<(), FormatError> {
    match version {
        Some("1.0") => Ok(()),
        Some(other) => Err(FormatError::SpecVersion(other.to_owned())),
        None => Err(FormatError::Missing("specversion")),
    }
}

fn structured(body: &[u8]) -> Result<CloudEvent, FormatError> {
    let Value::Object(mut event) = json(body)? else {
        return Err(FormatError::Json("expected a JSON object".into()));
    };
    let text =
        |event: &Map<String, Value>, name: &'static str| -> Result<Option<String>, FormatError> {
            match event.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(FormatError::Invalid(name)),
            }
        };
    check_version(text(&event, "specversion")?.as_deref())?;
    let id = required(text(&event, "id")?.as_deref(), "id")?;
    let source = required(text(&event, "source")?.as_deref(), "source")?;
    let kind = required(text(&event, "type")?.as_deref(), "type")?;
    let time = time(text(&event, "time")?.as_deref())?;
    let data = match (event.remove("data"), event.remove("data_base64")) {
        (Some(data), None) => data,
        (None, Some(Value::String(encoded))) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| FormatError::Invalid("data_base64"))?;
            json(&bytes)?
        }
        (None, None) => Value::Null,
        _ => return Err(FormatError::Invalid("data")),
    };
    Ok(CloudEvent {
        id,
        source,
        kind,
        time,
        data,
    })
}

fn binary<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
) -> Result<CloudEvent, FormatError> {
    check_version(header("ce-specversion").map(str::trim))?;
    Ok(CloudEvent {
        id: required(header("ce-id"), "id")?,
        source: required(header("ce-source"), "source")?,
        kind: required(header("ce-type"), "type")?,
        time: time(header("ce-time"))?,
        data: if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            json(body)?
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_headers(_: &str) -> Option<&'static str> {
        None
    }

    #[test]
    fn structured_mode() {
        let body = br#"{"specversion":"1.0","id":"e1","source":"/hr","type":"io.tenure.owner.left",
            "time":"2026-11-25T10:00:00Z","data":{"owner":"dana@example.com"}}"#;
        let event = parse(
            Some("application/cloudevents+json; charset=utf-8"),
            no_headers,
            body,
        )
        .expect("event");
        assert_eq!(event.id, "e1");
        assert_eq!(event.source, "/hr");
        assert_eq!(event.kind, "io.tenure.owner.left");
        assert_eq!(event.data["owner"], "dana@example.com");
        assert!(event.time.is_some());
    }

    #[test]
    fn binary_mode() {
        let headers = |name: &str| match name {
            "ce-specversion" => Some("1.0"),
            "ce-id" => Some("e2"),
            "ce-source" => Some("/hr"),
            "ce-type" => Some("io.tenure.workload.moved"),
            _ => None,
        };
        let event =
            parse(Some("application/json"), headers, br#"{"workload":"api"}"#).expect("event");
        assert_eq!(event.id, "e2");
        assert_eq!(event.data["workload"], "api");
    }

    #[test]
    fn refusals() {
        let ct = Some("application/cloudevents+json");
        assert!(matches!(
            parse(ct, no_headers, b"{not json"),
            Err(FormatError::Json(_))
        ));
        assert_eq!(
            parse(
                ct,
                no_headers,
                br#"{"specversion":"1.0","source":"/x","type":"t"}"#
            ),
            Err(FormatError::Missing("id"))
        );
        assert_eq!(
            parse(
                ct,
                no_headers,
                br#"{"specversion":"0.3","id":"1","source":"/x","type":"t"}"#
            ),
            Err(FormatError::SpecVersion("0.3".into()))
        );
        assert_eq!(
            parse(
                ct,
                no_headers,
                br#"{"specversion":"1.0","id":"1","source":"/x","type":"t","time":"yesterday"}"#
            ),
            Err(FormatError::Invalid("time"))
        );
        assert!(matches!(
            parse(Some("application/json"), no_headers, b"{}"),
            Err(FormatError::UnsupportedMediaType(_))
        ));
    }

    #[test]
    fn a_signed_webhook_takes_structured_mode_only() {
        let body = br#"{"specversion":"1.0","id":"e1","source":"/hr","type":"io.tenure.owner.left","data":{"owner":"dana@example.com"}}"#;
        assert!(parse_structured(Some("application/cloudevents+json"), body).is_ok());
        assert_eq!(
            parse_structured(Some("application/json"), br#"{"workload":"api"}"#),
            Err(FormatError::BinaryModeRefused)
        );
    }
}
