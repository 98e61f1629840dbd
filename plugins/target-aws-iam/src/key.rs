//! [`AccessKey`]: the JSON shape of an IAM access-key secret:
//! `{"user_name": "...", "access_key_id": "AKIA...", "secret_access_key": "..."}`.

use tenure_plugin_api::{PluginError, SecretValue};

/// An IAM user's access key held in a secret.
#[derive(Clone)]
pub struct AccessKey {
    /// The IAM user.
    pub user_name: String,
    /// The key id (not secret).
    pub access_key_id: String,
    /// The secret half.
    pub secret_access_key: SecretValue,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("user_name", &self.user_name)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct Wire {
    user_name: String,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    secret_access_key: Option<String>,
}

#[derive(serde::Serialize)]
struct WireOut<'a> {
    user_name: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

impl AccessKey {
    /// Parses a secret value. The error never quotes the value. A secret
    /// that names only `user_name` (a user with no key yet) parses with an
    /// empty key.
    pub fn parse(value: &SecretValue) -> Result<Self, PluginError> {
        let wire: Wire = serde_json::from_str(value.expose()).map_err(|_| {
            PluginError::permanent(
                "the secret is not an IAM access key: expected JSON with user_name, \
                 access_key_id and secret_access_key",
            )
        })?;
        Ok(Self {
            user_name: wire.user_name,
            access_key_id: wire.access_key_id.unwrap_or_default(),
            secret_access_key: SecretValue::new(wire.secret_access_key.unwrap_or_default()),
        })
    }

    /// The current credential, which must name the user.
    pub fn from_current(current: Option<&SecretValue>) -> Result<Self, PluginError> {
        match current {
            Some(value) => Self::parse(value),
            None => Err(PluginError::permanent(
                "an IAM key secret must exist first, naming its user: {\"user_name\": \"...\"}",
            )),
        }
    }

    /// The secret value for this key.
    pub fn to_value(&self) -> SecretValue {
        let wire = WireOut {
            user_name: &self.user_name,
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
        };
        SecretValue::new(serde_json::to_string(&wire).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_never_shows_the_secret() {
        let key = AccessKey::parse(&SecretValue::new(
            r#"{"user_name":"app","access_key_id":"AKIA1","secret_access_key":"s3cr3t-value"}"#
                .into(),
        ))
        .expect("parse");
        assert_eq!(key.user_name, "app");
        assert!(!format!("{key:?}").contains("s3cr3t-value"));
        let err = AccessKey::parse(&SecretValue::new("s3cr3t-value".into())).expect_err("bad");
        assert!(!err.to_string().contains("s3cr3t-value"));
        let round = AccessKey::parse(&key.to_value()).expect("round trip");
        assert_eq!(round.secret_access_key.expose(), "s3cr3t-value");
    }
}
