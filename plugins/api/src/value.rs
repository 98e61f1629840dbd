//! [`SecretValue`]: the only type a secret value ever lives in.

use secrecy::{ExposeSecret, SecretString};

/// A secret value (password, token, JSON credential document).
///
/// `Debug` prints `SecretValue([REDACTED])`; there is deliberately no
/// `Display` and no `Serialize`, so a value cannot reach a log line, an error
/// message or an audit entry by accident. The memory is zeroed on drop.
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    /// Wraps a string. The caller should not keep another copy around.
    pub fn new(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// Reads the value. Call sites are easy to grep for: keep them few.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Length in bytes, safe to log.
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// True when the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Compares two values in constant time (for equal lengths), with
    /// [`subtle::ConstantTimeEq`].
    pub fn ct_eq(&self, other: &SecretValue) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.expose().as_bytes().ct_eq(other.expose().as_bytes()))
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let value = SecretValue::new("hunter2-very-secret".into());
        let shown = format!("{value:?} {:?}", Some(&value));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"));
    }

    #[test]
    fn constant_time_comparison() {
        let a = SecretValue::new("abc".into());
        assert!(a.ct_eq(&SecretValue::new("abc".into())));
        assert!(!a.ct_eq(&SecretValue::new("abd".into())));
        assert!(!a.ct_eq(&SecretValue::new("abcd".into())));
    }
}
