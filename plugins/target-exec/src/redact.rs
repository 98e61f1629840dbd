//! Filters text the program wrote (stderr, error messages, proof details)
//! before it reaches a log line, the audit trail, a notification or the API:
//! every secret value of the exchange is replaced by `[redacted]`, control
//! characters by spaces, and the result is one line of bounded length.

use zeroize::Zeroizing;

/// Longest filtered text, in characters.
pub const MAX_TEXT: usize = 300;
/// What a secret becomes.
const MASK: &str = "[redacted]";
/// Shortest field of a JSON credential that is masked on its own: shorter
/// strings (ports, flags) would mask ordinary words.
const MIN_FIELD: usize = 4;
/// Fields of a JSON credential that name things rather than prove them.
const PUBLIC_FIELDS: [&str; 7] = [
    "username", "user", "host", "port", "database", "dbname", "account",
];

/// The secret strings of one exchange. No `Debug`: it holds them.
#[derive(Default)]
pub struct Redactor {
    /// Longest first, so a value is masked before a field inside it.
    secrets: Vec<Zeroizing<String>>,
}

impl Redactor {
    /// Masks each value, and each non-public string field when a value is a
    /// JSON object (a database credential's password on its own).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut redactor = Self::default();
        for value in values {
            redactor.add(value);
        }
        redactor
    }

    /// Adds a value (and its secret fields) to mask.
    pub fn add(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        self.secrets.push(Zeroizing::new(value.to_owned()));
        if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(value) {
            for (key, field) in &fields {
                if let serde_json::Value::String(text) = field
                    && text.chars().count() >= MIN_FIELD
                    && !PUBLIC_FIELDS.contains(&key.as_str())
                {
                    self.secrets.push(Zeroizing::new(text.clone()));
                }
            }
            // `fields` held copies of the secrets; they are dropped unzeroed
            // like every serde_json value, so keep this to the masking set.
        }
        self.secrets
            .sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    }

    /// `text` with every secret masked, control characters as spaces, cut to
    /// [`MAX_TEXT`] characters.
    pub fn filter(&self, text: &str) -> String {
        let mut masked = text.to_owned();
        for secret in &self.secrets {
            if masked.contains(secret.as_str()) {
                masked = masked.replace(secret.as_str(), MASK);
            }
        }
        let mut line: String = masked
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_TEXT + 1)
            .collect();
        if line.chars().count() > MAX_TEXT {
            line = line.chars().take(MAX_TEXT).collect();
            line.push('…');
        }
        zeroize::Zeroize::zeroize(&mut masked);
        line.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_secret_fields_are_masked_names_are_not() {
        let redactor = Redactor::new([
            r#"{"username":"app","password":"hunter2-long","host":"db1"}"#,
            "plain-token-value",
        ]);
        let text = "login as app on db1 with hunter2-long failed\nretry plain-token-value";
        assert_eq!(
            redactor.filter(text),
            "login as app on db1 with [redacted] failed retry [redacted]"
        );
    }

    #[test]
    fn text_is_one_bounded_line() {
        let redactor = Redactor::default();
        let long = "x".repeat(1000);
        let filtered = redactor.filter(&format!("a\u{1b}[31mb\r\n{long}"));
        assert!(!filtered.chars().any(char::is_control), "{filtered}");
        assert_eq!(filtered.chars().count(), MAX_TEXT + 1);
        assert!(filtered.ends_with('…'));
    }
}
