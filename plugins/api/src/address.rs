//! [`SecretAddress`]: `<provider-name>:<path>`, e.g. `local:db/orders`.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid secret address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// No `:` separating provider and path.
    #[error("expected <provider>:<path>, found no ':'")]
    MissingSeparator,
    /// The provider part is empty or has characters other than `[A-Za-z0-9_-]`.
    #[error("provider name must be non-empty and use only letters, digits, '-' and '_'")]
    BadProvider,
    /// The path part is empty, has an empty, `.` or `..` segment, or a control character.
    #[error("path must be non-empty, without empty, '.' or '..' segments or control characters")]
    BadPath,
}

/// The address of one secret: which provider holds it, and its path there.
///
/// Ordering is by provider, then path, which is the order plans are printed in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretAddress {
    provider: String,
    path: String,
}

impl SecretAddress {
    /// Builds an address, checking both parts.
    pub fn new(provider: impl Into<String>, path: impl Into<String>) -> Result<Self, AddressError> {
        let provider = provider.into();
        let path = path.into();
        if !is_valid_provider_name(&provider) {
            return Err(AddressError::BadProvider);
        }
        if !is_valid_path(&path) {
            return Err(AddressError::BadPath);
        }
        Ok(Self { provider, path })
    }

    /// The provider's configured name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The path inside the provider.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// True for a name usable as a provider or target name.
pub fn is_valid_provider_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// True for a path usable inside a provider.
pub fn is_valid_path(path: &str) -> bool {
    !path.is_empty()
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

impl FromStr for SecretAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (provider, path) = s.split_once(':').ok_or(AddressError::MissingSeparator)?;
        Self::new(provider, path)
    }
}

impl fmt::Display for SecretAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.path)
    }
}

impl serde::Serialize for SecretAddress {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SecretAddress {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let address: SecretAddress = "local:db/orders".parse().expect("valid");
        assert_eq!(address.provider(), "local");
        assert_eq!(address.path(), "db/orders");
        assert_eq!(address.to_string(), "local:db/orders");
    }

    #[test]
    fn path_may_contain_colons() {
        let address: SecretAddress = "aws:arn:aws:x".parse().expect("valid");
        assert_eq!(address.path(), "arn:aws:x");
    }

    #[test]
    fn rejects_bad_addresses() {
        assert_eq!(
            "nope".parse::<SecretAddress>(),
            Err(AddressError::MissingSeparator)
        );
        assert_eq!(
            ":a".parse::<SecretAddress>(),
            Err(AddressError::BadProvider)
        );
        assert_eq!(
            "a b:x".parse::<SecretAddress>(),
            Err(AddressError::BadProvider)
        );
        assert_eq!("a:".parse::<SecretAddress>(), Err(AddressError::BadPath));
        assert_eq!(
            "a:x//y".parse::<SecretAddress>(),
            Err(AddressError::BadPath)
        );
        assert_eq!(
            "a:../y".parse::<SecretAddress>(),
            Err(AddressError::BadPath)
        );
    }
}
