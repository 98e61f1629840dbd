//! Rotation: a fresh password on the same role (`single`) or on the other
//! role of the `dual` pair, set as a SCRAM-SHA-256 verifier computed here,
//! rolled back, and the previous login retired.

use tenure_plugin_api::{DbCredential, PluginError, SecretValue};

use super::PostgresTarget;
use crate::config::Strategy;
use crate::scram::verifier;
use crate::sql::{ident, literal};

/// The base (group) name of a dual pair, and the role a rotation moves to.
pub(super) fn dual_names(username: &str) -> (String, String) {
    let base = username
        .strip_suffix("_a")
        .or_else(|| username.strip_suffix("_b"))
        .unwrap_or(username);
    let next = if username.ends_with("_a") {
        format!("{base}_b")
    } else {
        format!("{base}_a")
    };
    (base.to_owned(), next)
}

fn salt() -> Result<[u8; 16], PluginError> {
    let mut salt = [0u8; 16];
    tenure_plugin_api::random::fill(&mut salt)
        .map_err(|e| PluginError::retryable(e.to_string()))?;
    Ok(salt)
}

impl PostgresTarget {
    /// [`Target::issue`](tenure_plugin_api::Target::issue).
    pub(super) async fn issue_login(
        &self,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = DbCredential::from_current(current)?;
        let password = DbCredential::fresh_password(self.config.password_length)?;
        let username = match self.config.strategy {
            Strategy::Single => current.username.clone(),
            Strategy::Dual => dual_names(&current.username).1,
        };
        Ok(current.with_login(username, password).to_value())
    }

    /// [`Target::apply`](tenure_plugin_api::Target::apply).
    pub(super) async fn apply_password(&self, pending: &SecretValue) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        match self.config.strategy {
            // A missing role fails the ALTER ROLE itself (42704, not found):
            // no separate existence query.
            Strategy::Single => {
                self.set_password(&pending.username, &pending.password, None)
                    .await
            }
            Strategy::Dual => {
                let (base, _) = dual_names(&pending.username);
                if !self.role_exists(&base).await? {
                    return Err(PluginError::permanent(format!(
                        "the dual strategy needs the group role {base} (holding the privileges) to exist"
                    )));
                }
                self.set_password(&pending.username, &pending.password, Some(&base))
                    .await
            }
        }
    }

    /// [`Target::rollback`](tenure_plugin_api::Target::rollback).
    pub(super) async fn rollback_password(
        &self,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        let current = current.map(DbCredential::parse).transpose()?;
        match current {
            Some(current) if current.username == pending.username => {
                // Single strategy: put the current password back.
                self.set_password(&current.username, &current.password, None)
                    .await
            }
            _ => self.disable_login(&pending.username).await,
        }
    }

    /// [`Target::retire`](tenure_plugin_api::Target::retire).
    pub(super) async fn retire_login(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let previous = DbCredential::parse(previous)?;
        let current = DbCredential::parse(current)?;
        if previous.username == current.username {
            // Single strategy: the old password stopped working when the new one was set.
            return Ok(());
        }
        self.disable_login(&previous.username).await
    }

    async fn set_password(
        &self,
        role: &str,
        password: &SecretValue,
        create_in: Option<&str>,
    ) -> Result<(), PluginError> {
        let verifier = verifier(password.expose(), &salt()?);
        let statement = match create_in {
            Some(group) if !self.role_exists(role).await? => format!(
                "CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}",
                ident(role),
                literal(&verifier),
                ident(group)
            ),
            _ => format!(
                "ALTER ROLE {} WITH LOGIN PASSWORD {}",
                ident(role),
                literal(&verifier)
            ),
        };
        self.execute(&statement).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_names_alternate() {
        assert_eq!(dual_names("app"), ("app".into(), "app_a".into()));
        assert_eq!(dual_names("app_a"), ("app".into(), "app_b".into()));
        assert_eq!(dual_names("app_b"), ("app".into(), "app_a".into()));
    }
}
