//! The wire format, version 1: one request on stdin, one response on stdout.

use serde::{Deserialize, Serialize};
use tenure_plugin_api::{ErrorKind, NarrowReport, PluginError, Proof};

use crate::redact::Redactor;

/// The protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// A request. Values are borrowed and serialized into a zeroed buffer.
#[derive(Serialize)]
pub struct Request<'a> {
    pub protocol: u32,
    pub operation: &'a str,
    pub secret: String,
    pub run_id: &'a str,
    pub scopes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
}

impl Request<'_> {
    /// The secret values the request carries.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        [self.current, self.pending, self.previous, self.value]
            .into_iter()
            .flatten()
    }
}

/// An error the program reports.
#[derive(Deserialize)]
pub struct WireError {
    pub kind: String,
    #[serde(default)]
    pub message: String,
}

/// A response. No `Debug`: `value` is a secret until wrapped.
#[derive(Deserialize)]
pub struct Response {
    pub protocol: u32,
    pub ok: bool,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub proof: Option<Proof>,
    #[serde(default)]
    pub privileges: Option<Vec<String>>,
    #[serde(default)]
    pub report: Option<NarrowReport>,
    #[serde(default)]
    pub error: Option<WireError>,
}

impl Response {
    /// Passes everything the program said that Tenure reports on (the error
    /// message, the proof, privilege names) through `redactor`.
    pub fn filter(&mut self, redactor: &Redactor) {
        if let Some(error) = self.error.as_mut() {
            error.message = redactor.filter(&error.message);
        }
        if let Some(proof) = self.proof.as_mut() {
            proof.method = redactor.filter(&proof.method);
            proof.detail = redactor.filter(&proof.detail);
        }
        let names = self.privileges.iter_mut().flatten().chain(
            self.report
                .iter_mut()
                .flat_map(|report| report.removed.iter_mut().chain(report.remaining.iter_mut())),
        );
        for name in names {
            *name = redactor.filter(name);
        }
    }
}

/// Reads what a program wrote on stdout as a response (`None` when it is
/// not one): the value it carries joins the secrets `redactor` masks, and
/// everything Tenure reports on is filtered.
pub fn read_response(stdout: &[u8], redactor: &mut Redactor) -> Option<Response> {
    let mut response: Response = serde_json::from_slice(stdout).ok()?;
    if let Some(value) = response.value.as_deref() {
        redactor.add(value);
    }
    response.filter(redactor);
    Some(response)
}

/// Every text of a response that Tenure reports on (for the fuzz tests).
pub fn reported_texts(response: &Response) -> Vec<&str> {
    let mut texts: Vec<&str> = Vec::new();
    if let Some(error) = &response.error {
        texts.push(&error.message);
    }
    if let Some(proof) = &response.proof {
        texts.push(&proof.method);
        texts.push(&proof.detail);
    }
    texts.extend(response.privileges.iter().flatten().map(String::as_str));
    if let Some(report) = &response.report {
        texts.extend(
            report
                .removed
                .iter()
                .chain(&report.remaining)
                .map(String::as_str),
        );
    }
    texts
}

impl WireError {
    /// As a plugin error (an unknown kind is permanent).
    pub fn into_plugin_error(self, program: &str, operation: &str) -> PluginError {
        let kind = match self.kind.as_str() {
            "retryable" => ErrorKind::Retryable,
            "not_found" => ErrorKind::NotFound,
            "unauthorized" => ErrorKind::Unauthorized,
            "conflict" => ErrorKind::Conflict,
            _ => ErrorKind::Permanent,
        };
        PluginError::new(kind, format!("{program} {operation}: {}", self.message))
    }
}
