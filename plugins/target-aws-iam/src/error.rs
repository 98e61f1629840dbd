//! IAM and STS errors to plugin errors (AWS messages name users and keys,
//! never secret values).

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use tenure_plugin_api::{ErrorKind, PluginError, error_chain, is_aws_retryable};

/// The AWS error code of a service error, if it is one.
pub fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Codes that mean "these credentials are not accepted".
pub fn is_refusal(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "AccessDenied"
                | "UnrecognizedClientException"
                | "ExpiredToken"
        )
    )
}

/// Why STS refused a credential, or `None` when the error is not a refusal.
/// `GetCallerIdentity` needs no permission, so any 403 is a refusal; the
/// code comes from the parsed error or, when a server words its XML
/// differently (moto nests `<Errors>`), from the raw body.
pub fn refusal<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<String> {
    let SdkError::ServiceError(service) = err else {
        return None;
    };
    if let Some(code) = service.err().code().filter(|c| is_refusal(Some(c))) {
        return Some(code.to_owned());
    }
    if service.raw().status().as_u16() != 403 {
        return None;
    }
    let body = service
        .raw()
        .body()
        .bytes()
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("");
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code)
        .filter(|c| !c.is_empty() && c.len() < 64 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("HTTP 403");
    Some(code.to_owned())
}

/// The result of a call that removes or changes something that may be gone
/// already: `NoSuchEntity` is success (every method is idempotent).
pub fn gone_is_done<T, E: ProvideErrorMetadata>(
    result: Result<T, SdkError<E, HttpResponse>>,
    context: impl FnOnce() -> String,
) -> Result<(), PluginError> {
    match result {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some("NoSuchEntity") => Ok(()),
        Err(e) => Err(error(&context(), e)),
    }
}

/// An SDK error as a plugin error.
pub fn error<E: ProvideErrorMetadata>(
    context: &str,
    err: SdkError<E, HttpResponse>,
) -> PluginError {
    let service = match &err {
        SdkError::ServiceError(service) => service,
        SdkError::TimeoutError(_) => {
            return PluginError::retryable(format!("{context}: timed out"));
        }
        SdkError::DispatchFailure(failure) => {
            // The connector's error chain names the cause (refused, DNS,
            // TLS); it never carries a request body.
            let cause = failure
                .as_connector_error()
                .map(|cause| format!(": {}", error_chain(cause)))
                .unwrap_or_default();
            return PluginError::retryable(format!("{context}: could not reach AWS{cause}"));
        }
        SdkError::ConstructionFailure(_) => {
            return PluginError::permanent(format!("{context}: the request could not be built"));
        }
        _ => return PluginError::retryable(format!("{context}: request failed")),
    };
    let code = service.err().code().unwrap_or("unknown");
    let text = format!(
        "{context}: {code}: {}",
        service.err().message().unwrap_or("")
    );
    match code {
        "NoSuchEntity" => PluginError::not_found(text),
        "EntityAlreadyExists" | "LimitExceeded" | "ConcurrentModification" => {
            PluginError::conflict(text)
        }
        c if is_aws_retryable(c) => PluginError::retryable(text),
        c if is_refusal(Some(c)) => PluginError::unauthorized(text),
        // AWS names every error by its code (above); by its status alone,
        // only a transient failure (408, 429, 5xx) is told apart: a 409
        // `DeleteConflict` is no concurrent change, and anything else is
        // permanent.
        _ => match ErrorKind::from_http_status(service.raw().status().as_u16()) {
            ErrorKind::Retryable => PluginError::retryable(text),
            _ => PluginError::permanent(text),
        },
    }
}
