//! Tenure paths to Key Vault names and back, SDK errors to plugin errors,
//! Key Vault times to chrono ones.

use azure_core::error::ErrorKind as AzureKind;
use azure_core::http::StatusCode;
use azure_core::time::OffsetDateTime;
use chrono::{DateTime, Utc};
use tenure_plugin_api::{ErrorKind, PluginError};

/// The suffix of the name of the secret that holds a staged (pending) value.
pub const STAGING_SUFFIX: &str = "--tenure-pending";

/// Key Vault's longest secret name.
const MAX_NAME: usize = 127;

/// Why a Tenure path has no Key Vault name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The path is empty.
    #[error("a Key Vault secret path must not be empty")]
    Empty,
    /// A character Key Vault names cannot hold and Tenure does not map.
    #[error(
        "{path:?}: Key Vault names allow only letters, digits and '-' (Tenure maps '/' to \"--\" and '_' to \"---\"); {found:?} is not allowed"
    )]
    Character {
        /// The path.
        path: String,
        /// The refused character.
        found: char,
    },
    /// Two of `-`, `/`, `_` side by side, or one at either end: the mapped
    /// name could not be read back unambiguously.
    #[error(
        "{path:?}: '-', '/' and '_' must sit between letters or digits (not at either end, not side by side), so the Key Vault name maps back to one path"
    )]
    Separator {
        /// The path.
        path: String,
    },
    /// The mapped name is too long.
    #[error(
        "{path:?}: its Key Vault name {name:?} is longer than {max} characters (Key Vault allows 127, Tenure keeps 16 for the staging suffix)"
    )]
    TooLong {
        /// The path.
        path: String,
        /// The mapped name.
        name: String,
        /// The longest name allowed.
        max: usize,
    },
    /// The path would collide with Tenure's staging secrets.
    #[error("{path:?}: paths ending in /tenure-pending are reserved for Tenure's staging secrets")]
    Reserved {
        /// The path.
        path: String,
    },
}

impl From<NameError> for PluginError {
    fn from(err: NameError) -> Self {
        PluginError::permanent(err.to_string())
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '/' | '_')
}

/// The Key Vault name of a Tenure path: `/` becomes `--`, `_` becomes
/// `---`, letters, digits and single `-` stay. See [`path_of`].
pub fn name_of(path: &str) -> Result<String, NameError> {
    if path.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(found) = path
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || is_separator(c)))
    {
        return Err(NameError::Character {
            path: path.to_owned(),
            found,
        });
    }
    let chars: Vec<char> = path.chars().collect();
    let bad_ends = chars.first().copied().is_some_and(is_separator)
        || chars.last().copied().is_some_and(is_separator);
    if bad_ends
        || chars
            .windows(2)
            .any(|w| is_separator(w[0]) && is_separator(w[1]))
    {
        return Err(NameError::Separator {
            path: path.to_owned(),
        });
    }
    if path == "tenure-pending" || path.ends_with("/tenure-pending") {
        return Err(NameError::Reserved {
            path: path.to_owned(),
        });
    }
    let mut name = String::with_capacity(path.len() + 8);
    for c in chars {
        match c {
            '/' => name.push_str("--"),
            '_' => name.push_str("---"),
            c => name.push(c),
        }
    }
    let max = MAX_NAME - STAGING_SUFFIX.len();
    if name.len() > max {
        return Err(NameError::TooLong {
            path: path.to_owned(),
            name,
            max,
        });
    }
    Ok(name)
}

/// The Tenure path of a Key Vault name, the inverse of [`name_of`]; `None`
/// for a name no path maps to (four or more `-` in a row, `-` at either
/// end) and for Tenure's staging secrets.
pub fn path_of(name: &str) -> Option<String> {
    if name.is_empty() || name.ends_with(STAGING_SUFFIX) {
        return None;
    }
    let mut path = String::with_capacity(name.len());
    let mut run = 0usize;
    let flush = |path: &mut String, run: usize| -> Option<()> {
        match run {
            0 => {}
            1 => path.push('-'),
            2 => path.push('/'),
            3 => path.push('_'),
            _ => return None,
        }
        Some(())
    };
    for c in name.chars() {
        if c == '-' {
            if path.is_empty() {
                return None;
            }
            run += 1;
        } else if c.is_ascii_alphanumeric() {
            flush(&mut path, run)?;
            run = 0;
            path.push(c);
        } else {
            return None;
        }
    }
    if run > 0 {
        return None;
    }
    Some(path)
}

/// The name of the staging secret of the secret named `name`.
pub fn staging_name(name: &str) -> String {
    format!("{name}{STAGING_SUFFIX}")
}

/// A Key Vault time as a chrono one.
pub fn to_chrono(t: OffsetDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.unix_timestamp(), 0)
}

/// A chrono time as a Key Vault one (whole seconds, as the service keeps them).
pub fn to_azure(t: DateTime<Utc>) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()
}

/// The service's error code and message of an HTTP error, if it is one.
fn http_parts(err: &azure_core::Error) -> Option<(StatusCode, String)> {
    match err.kind() {
        AzureKind::HttpResponse {
            status, error_code, ..
        } => Some((*status, error_code.clone().unwrap_or_default())),
        _ => None,
    }
}

/// Whether a 403's message says the version is disabled ("Operation get is
/// not allowed on a disabled secret."), as opposed to the caller lacking a
/// permission or a network rule ("Public network access is disabled ...").
fn says_disabled(message: &str) -> bool {
    message.contains("disabled secret")
}

/// Whether the service refused the call because the version is disabled.
pub fn is_disabled(err: &azure_core::Error) -> bool {
    matches!(http_parts(err), Some((StatusCode::Forbidden, _))) && says_disabled(&err.to_string())
}

/// Whether the error is the service's 404.
pub fn is_not_found(err: &azure_core::Error) -> bool {
    matches!(http_parts(err), Some((StatusCode::NotFound, _)))
}

/// An SDK error as a plugin error. Key Vault's error messages name secrets
/// and versions, never values; the SDK's error carries the response, but
/// only its status, code and message are copied here.
pub fn error(context: &str, err: &azure_core::Error) -> PluginError {
    let message = err.to_string();
    match err.kind() {
        AzureKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = error_code.as_deref().unwrap_or("unknown");
            let text = format!("{context}: {} {code}: {message}", u16::from(*status));
            // Entra ID's token endpoint reports AADSTS numbers as codes.
            let from_entra =
                !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit() || b == b',');
            let kind = match ErrorKind::from_http_status(u16::from(*status)) {
                // A 403 about a disabled version is no refusal of our token.
                _ if *status == StatusCode::Forbidden && says_disabled(&message) => {
                    ErrorKind::Permanent
                }
                kind @ (ErrorKind::NotFound | ErrorKind::Unauthorized) => kind,
                // Entra ID refused the credentials, whatever the status.
                _ if from_entra => ErrorKind::Unauthorized,
                kind => kind,
            };
            PluginError::new(kind, text)
        }
        AzureKind::Credential => {
            PluginError::unauthorized(format!("{context}: no access token: {message}"))
        }
        AzureKind::Connection | AzureKind::Io => {
            PluginError::retryable(format!("{context}: could not reach the vault: {message}"))
        }
        _ => PluginError::permanent(format!("{context}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (path, name) in [
            ("db-password", "db-password"),
            ("prod/db/password", "prod--db--password"),
            ("team-a/api_key", "team-a--api---key"),
            (
                "tenure-test/conformance-s_0a1b2c3d",
                "tenure-test--conformance-s---0a1b2c3d",
            ),
            ("X", "X"),
        ] {
            assert_eq!(name_of(path).expect(path), name);
            assert_eq!(path_of(name).as_deref(), Some(path));
        }
    }

    #[test]
    fn names_refused() {
        assert_eq!(name_of(""), Err(NameError::Empty));
        for path in ["a.b", "a b", "é", "a:b"] {
            assert!(
                matches!(name_of(path), Err(NameError::Character { .. })),
                "{path}"
            );
        }
        for path in ["/a", "a/", "a//b", "a-/b", "a_-b", "-a", "a_"] {
            assert!(
                matches!(name_of(path), Err(NameError::Separator { .. })),
                "{path}"
            );
        }
        assert!(matches!(
            name_of("app/tenure-pending"),
            Err(NameError::Reserved { .. })
        ));
        assert!(matches!(
            name_of(&"a".repeat(112)),
            Err(NameError::TooLong { .. })
        ));
        assert!(name_of(&"a".repeat(111)).is_ok());
    }

    fn http(status: StatusCode, code: &str, message: &'static str) -> azure_core::Error {
        azure_core::Error::with_message(
            AzureKind::HttpResponse {
                status,
                error_code: Some(code.to_owned()),
                raw_response: None,
            },
            message,
        )
    }

    #[test]
    fn errors_map_to_kinds() {
        use tenure_plugin_api::ErrorKind;
        for (status, code, message, kind) in [
            (
                StatusCode::NotFound,
                "SecretNotFound",
                "not found",
                ErrorKind::NotFound,
            ),
            (
                StatusCode::Unauthorized,
                "Unauthorized",
                "AKV10032",
                ErrorKind::Unauthorized,
            ),
            (
                StatusCode::Forbidden,
                "Forbidden",
                "no secrets/get permission",
                ErrorKind::Unauthorized,
            ),
            (
                StatusCode::Forbidden,
                "Forbidden",
                "Operation get is not allowed on a disabled secret.",
                ErrorKind::Permanent,
            ),
            (
                StatusCode::Forbidden,
                "Forbidden",
                "Public network access is disabled and request is not from a trusted service nor via an approved private link.",
                ErrorKind::Unauthorized,
            ),
            (
                StatusCode::Unauthorized,
                "7000215",
                "AADSTS7000215",
                ErrorKind::Unauthorized,
            ),
            (
                StatusCode::BadRequest,
                "700016",
                "AADSTS700016",
                ErrorKind::Unauthorized,
            ),
            (
                StatusCode::Conflict,
                "Conflict",
                "deleted but recoverable",
                ErrorKind::Conflict,
            ),
            (
                StatusCode::TooManyRequests,
                "Throttled",
                "slow down",
                ErrorKind::Retryable,
            ),
            (
                StatusCode::ServiceUnavailable,
                "",
                "busy",
                ErrorKind::Retryable,
            ),
            (
                StatusCode::BadRequest,
                "BadParameter",
                "bad name",
                ErrorKind::Permanent,
            ),
        ] {
            let err = http(status, code, message);
            assert_eq!(
                error("call", &err).kind(),
                kind,
                "{status} {code} {message}"
            );
        }
        let disabled = http(
            StatusCode::Forbidden,
            "Forbidden",
            "not allowed on a disabled secret",
        );
        assert!(is_disabled(&disabled));
        assert!(is_not_found(&http(
            StatusCode::NotFound,
            "SecretNotFound",
            "x"
        )));
        let credential = azure_core::Error::with_message(AzureKind::Credential, "no login");
        assert_eq!(error("call", &credential).kind(), ErrorKind::Unauthorized);
        let connection = azure_core::Error::with_message(AzureKind::Connection, "refused");
        assert_eq!(error("call", &connection).kind(), ErrorKind::Retryable);
    }

    #[test]
    fn names_no_path_maps_to() {
        for name in ["a----b", "-a", "a-", "db--tenure-pending", ""] {
            assert_eq!(path_of(name), None, "{name}");
        }
    }
}
