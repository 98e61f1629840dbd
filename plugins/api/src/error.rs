//! [`PluginError`]: what went wrong in a plugin, and what kind of wrong it is.

use std::fmt;

/// The kind of a plugin failure; the workflow's error policy acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Transient (timeout, connection refused, throttled): retry with backoff.
    Retryable,
    /// Will fail the same way again (bad input, unsupported): do not retry.
    Permanent,
    /// The secret, version, user or role does not exist.
    NotFound,
    /// The plugin's own credentials were refused.
    Unauthorized,
    /// A concurrent writer changed the object (check-and-set lost, stale stage).
    Conflict,
    /// The plugin does not support this operation (a capability it lacks).
    Unsupported,
}

impl ErrorKind {
    /// Stable snake_case name, used in logs, the audit trail and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retryable => "retryable",
            Self::Permanent => "permanent",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Conflict => "conflict",
            Self::Unsupported => "unsupported",
        }
    }

    /// Whether trying the same step again later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Retryable | Self::Conflict)
    }

    /// The kind of an HTTP error status, for plugins whose remote system
    /// speaks HTTP. The one table every plugin starts from; a plugin that
    /// knows better for one status (a 404 that means "already gone", a 403
    /// that means "disabled") says so at its call site, on top of it.
    ///
    /// | Status            | Kind           |
    /// |-------------------|----------------|
    /// | 401, 403          | `Unauthorized` |
    /// | 404               | `NotFound`     |
    /// | 409               | `Conflict`     |
    /// | 408, 429, 500+    | `Retryable`    |
    /// | anything else     | `Permanent`    |
    ///
    /// Anything else includes 400 (the request itself is wrong) and the
    /// statuses that are not errors: pass only the status of a failure.
    pub fn from_http_status(status: u16) -> Self {
        match status {
            401 | 403 => Self::Unauthorized,
            404 => Self::NotFound,
            409 => Self::Conflict,
            408 | 429 | 500.. => Self::Retryable,
            _ => Self::Permanent,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from a provider or a target.
///
/// The message must never contain a secret value: plugins build it from
/// identifiers and the remote system's error text only.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct PluginError {
    kind: ErrorKind,
    message: String,
}

impl PluginError {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A transient failure.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Retryable, message)
    }

    /// A failure that will repeat.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }

    /// The object does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The plugin's credentials were refused.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }

    /// A concurrent change won.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// The plugin does not support the operation.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (never a secret).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with context, keeping the kind.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Self {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// An error and its sources, `: `-separated, each cause once (a transport's
/// cause, such as a refused connection or an untrusted certificate, is in
/// the sources). For errors that never carry a secret: transport and
/// protocol errors, not errors built from request bodies.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_map_to_kinds() {
        for (status, kind) in [
            (400, ErrorKind::Permanent),
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Unauthorized),
            (404, ErrorKind::NotFound),
            (405, ErrorKind::Permanent),
            (408, ErrorKind::Retryable),
            (409, ErrorKind::Conflict),
            (410, ErrorKind::Permanent),
            (412, ErrorKind::Permanent),
            (422, ErrorKind::Permanent),
            (429, ErrorKind::Retryable),
            (500, ErrorKind::Retryable),
            (502, ErrorKind::Retryable),
            (503, ErrorKind::Retryable),
            (504, ErrorKind::Retryable),
            (599, ErrorKind::Retryable),
            (399, ErrorKind::Permanent),
            (200, ErrorKind::Permanent),
        ] {
            assert_eq!(ErrorKind::from_http_status(status), kind, "{status}");
        }
    }
}
