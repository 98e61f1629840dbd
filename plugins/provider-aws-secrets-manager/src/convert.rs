//! AWS errors to plugin errors, staging tokens to request tokens, times.

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};
use tenure_plugin_api::{ErrorKind, PluginError, error_chain, is_aws_retryable};

/// The prefix of a request token that encodes a short staging token.
const ENCODED: &str = "tnr-";

/// The `ClientRequestToken` (which becomes the version id) for a staging
/// token. AWS wants 32 to 64 characters: a token that already fits is used
/// as is (Tenure's run ids are UUIDs); a shorter one is hex-encoded behind
/// `tnr-` and padded with `x`, so [`staging_token`] can give it back.
pub fn request_token(token: &str) -> Result<String, PluginError> {
    let fits = (32..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !token.starts_with(ENCODED);
    if fits {
        return Ok(token.to_owned());
    }
    let encoded = format!("{ENCODED}{}", hex::encode(token));
    if token.is_empty() || encoded.len() > 64 {
        return Err(PluginError::permanent(
            "a staging token must be 1 to 30 bytes, or 32 to 64 letters, digits and '-'",
        ));
    }
    Ok(format!("{encoded:x<32}"))
}

/// The staging token a version id was made from (see [`request_token`]).
pub fn staging_token(version_id: &str) -> String {
    version_id
        .strip_prefix(ENCODED)
        .and_then(|rest| hex::decode(rest.trim_end_matches('x')).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| version_id.to_owned())
}

/// An AWS timestamp as a chrono one.
pub fn time(t: &aws_sdk_secretsmanager::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// An SDK error as a plugin error. AWS error messages name secrets, never
/// their values.
pub fn error<E>(context: &str, err: SdkError<E, HttpResponse>) -> PluginError
where
    E: ProvideErrorMetadata,
{
    match &err {
        SdkError::ConstructionFailure(_) => {
            PluginError::permanent(format!("{context}: the request could not be built"))
        }
        SdkError::TimeoutError(_) => PluginError::retryable(format!("{context}: timed out")),
        SdkError::DispatchFailure(failure) => {
            // The connector's error chain names the cause (refused, DNS,
            // TLS); it never carries a request body.
            let cause = failure
                .as_connector_error()
                .map(|cause| format!(": {}", error_chain(cause)))
                .unwrap_or_default();
            PluginError::retryable(format!("{context}: could not reach AWS{cause}"))
        }
        SdkError::ResponseError(_) => {
            PluginError::retryable(format!("{context}: unreadable response"))
        }
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown");
            let message = service.err().message().unwrap_or("");
            let text = format!("{context}: {code}: {message}");
            match code {
                "ResourceNotFoundException" => PluginError::not_found(text),
                "ResourceExistsException" => PluginError::conflict(text),
                "AccessDeniedException"
                | "AccessDenied"
                | "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "InvalidSignatureException"
                | "SignatureDoesNotMatch"
                | "ExpiredTokenException" => PluginError::unauthorized(text),
                c if is_aws_retryable(c) => PluginError::retryable(text),
                // AWS names every error by its code (above); by its status
                // alone, only a transient failure (408, 429, 5xx) is told
                // apart, and anything else is permanent.
                _ => match ErrorKind::from_http_status(service.raw().status().as_u16()) {
                    ErrorKind::Retryable => PluginError::retryable(text),
                    _ => PluginError::permanent(text),
                },
            }
        }
        _ => PluginError::retryable(format!("{context}: request failed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_round_trip() {
        let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(request_token(uuid).expect("uuid"), uuid);
        assert_eq!(staging_token(uuid), uuid);
        for token in [
            "token-1",
            "a",
            "run/with/slashes",
            "012345678901234567890123456789",
        ] {
            let id = request_token(token).expect("short");
            assert!((32..=64).contains(&id.len()), "{id}");
            assert_eq!(staging_token(&id), token);
        }
        assert!(request_token("").is_err());
        assert!(request_token(&"é".repeat(40)).is_err());
    }
}
