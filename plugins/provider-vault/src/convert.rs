//! Secret values to and from KV maps; Vault errors to plugin errors; times.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tenure_plugin_api::{ErrorKind, PluginError, SecretValue, error_chain};
use vaultrs::error::ClientError;

/// The KV map for a value: the object itself, or `{"value": ...}`.
pub fn to_map(value: &SecretValue) -> Map<String, Value> {
    match serde_json::from_str::<Value>(value.expose()) {
        Ok(Value::Object(map)) => map,
        _ => {
            let mut map = Map::new();
            map.insert("value".to_owned(), Value::String(value.expose().to_owned()));
            map
        }
    }
}

/// The value stored in a KV map.
pub fn from_map(map: Map<String, Value>) -> SecretValue {
    match (map.len(), map.get("value")) {
        (1, Some(Value::String(text))) => SecretValue::new(text.clone()),
        _ => SecretValue::new(Value::Object(map).to_string()),
    }
}

/// A Vault error as a plugin error (the message never holds a value).
pub fn error(context: &str, err: ClientError) -> PluginError {
    match err {
        ClientError::APIError { code: 404, .. } => {
            PluginError::not_found(format!("{context}: not found"))
        }
        // KV v2 answers a read of a deleted or destroyed version with a 404
        // whose body holds metadata, not `errors`: vaultrs cannot parse it
        // as an API error.
        ClientError::RestClientError {
            source: rustify::errors::ClientError::ServerResponseError { code: 404, .. },
        } => PluginError::not_found(format!("{context}: not found (deleted or destroyed)")),
        ClientError::APIError { code: 400, errors }
            if errors.iter().any(|e| e.contains("check-and-set")) =>
        {
            PluginError::conflict(format!("{context}: a concurrent writer changed the secret"))
        }
        ClientError::APIError { code, errors } => {
            let errors = errors.join("; ");
            match ErrorKind::from_http_status(code) {
                ErrorKind::Unauthorized => {
                    PluginError::unauthorized(format!("{context}: permission denied: {errors}"))
                }
                ErrorKind::Retryable => {
                    PluginError::retryable(format!("{context}: server error {code}: {errors}"))
                }
                kind => PluginError::new(kind, format!("{context}: error {code}: {errors}")),
            }
        }
        other => PluginError::retryable(format!("{context}: {}", error_chain(&other))),
    }
}

/// A login refusal: Vault answers a bad role, secret id or JWT with 400 or
/// 403; both mean the credentials are not accepted.
pub fn login_error(context: &str, err: ClientError) -> PluginError {
    match err {
        ClientError::APIError {
            code: 400 | 401 | 403,
            errors,
        } => PluginError::unauthorized(format!("{context}: refused: {}", errors.join("; "))),
        other => error(context, other),
    }
}

/// Whether a Vault error is "not found".
pub fn is_not_found(err: &ClientError) -> bool {
    matches!(err, ClientError::APIError { code: 404, .. })
}

/// Parses Vault's RFC 3339 times (the zero time means "never").
pub fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.timestamp() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_kv_maps() {
        let plain = SecretValue::new("s3cret".into());
        assert_eq!(from_map(to_map(&plain)).expose(), "s3cret");
        let db = SecretValue::new(r#"{"password":"p","username":"u"}"#.into());
        let map = to_map(&db);
        assert_eq!(map.len(), 2);
        assert_eq!(from_map(map).expose(), r#"{"password":"p","username":"u"}"#);
    }
}
