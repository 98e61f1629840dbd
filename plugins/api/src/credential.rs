//! [`DbCredential`]: the JSON shape of a database secret, as AWS uses it:
//! `{"username": "...", "password": "...", "host": "...", "port": 5432, "dbname": "..."}`.

use crate::{PluginError, SecretValue};

/// A database login held in a secret.
#[derive(Clone)]
pub struct DbCredential {
    /// The user or role.
    pub username: String,
    /// The password.
    pub password: SecretValue,
    /// Host, if the secret names one.
    pub host: Option<String>,
    /// Port, if the secret names one.
    pub port: Option<u16>,
    /// Database, if the secret names one.
    pub dbname: Option<String>,
}

impl std::fmt::Debug for DbCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbCredential")
            .field("username", &self.username)
            .field("password", &self.password)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct Wire {
    username: String,
    password: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    dbname: Option<String>,
}

#[derive(serde::Serialize)]
struct WireOut<'a> {
    username: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dbname: Option<&'a str>,
}

impl DbCredential {
    /// Parses a secret value. The error never quotes the value.
    pub fn parse(value: &SecretValue) -> Result<Self, PluginError> {
        let wire: Wire = serde_json::from_str(value.expose()).map_err(|_| {
            PluginError::permanent(
                "the secret is not a JSON document with string fields username and password",
            )
        })?;
        if wire.username.is_empty() {
            return Err(PluginError::permanent("the secret's username is empty"));
        }
        Ok(Self {
            username: wire.username,
            password: SecretValue::new(wire.password),
            host: wire.host,
            port: wire.port,
            dbname: wire.dbname,
        })
    }

    /// Parses the current value a rotation starts from; a database target
    /// cannot invent the user, so a missing value is an error.
    pub fn from_current(current: Option<&SecretValue>) -> Result<Self, PluginError> {
        let current = current.ok_or_else(|| {
            PluginError::permanent(
                "the secret must already hold a username (JSON with username and password)",
            )
        })?;
        Self::parse(current)
    }

    /// The username of `value`, if there is a value: the login a check or a
    /// retirement keeps for the current credential.
    pub fn username_of(value: Option<&SecretValue>) -> Result<Option<String>, PluginError> {
        Ok(value.map(Self::parse).transpose()?.map(|c| c.username))
    }

    /// A new random alphanumeric password of `length` characters.
    pub fn fresh_password(length: usize) -> Result<SecretValue, PluginError> {
        crate::random::random_string(length, crate::random::ALPHANUMERIC)
            .map_err(|e| PluginError::retryable(e.to_string()))
    }

    /// The same connection details with another user and password.
    pub fn with_login(&self, username: String, password: SecretValue) -> Self {
        Self {
            username,
            password,
            ..self.clone()
        }
    }

    /// Renders the secret value.
    pub fn to_value(&self) -> SecretValue {
        let wire = WireOut {
            username: &self.username,
            password: self.password.expose(),
            host: self.host.as_deref(),
            port: self.port,
            dbname: self.dbname.as_deref(),
        };
        // Serializing plain strings and numbers cannot fail.
        SecretValue::new(serde_json::to_string(&wire).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_quotes_the_value_in_errors() {
        let value = SecretValue::new(r#"{"username":"app","password":"p4ss","port":5432}"#.into());
        let cred = DbCredential::parse(&value).expect("parse");
        assert_eq!(cred.username, "app");
        assert_eq!(cred.port, Some(5432));
        let again = DbCredential::parse(&cred.to_value()).expect("parse");
        assert_eq!(again.password.expose(), "p4ss");
        let bad = SecretValue::new(r#"{"username":"app","password":12345678}"#.into());
        let err = DbCredential::parse(&bad).expect_err("bad");
        assert!(!err.to_string().contains("12345678"));
        assert!(!format!("{cred:?}").contains("p4ss"));
    }
}
