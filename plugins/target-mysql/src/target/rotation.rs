//! Rotation: a fresh password, set on the account (on MariaDB as the
//! `mysql_native_password` hash, never in clear text), and rolled back.

use sha1::{Digest, Sha1};
use tenure_plugin_api::{DbCredential, PluginError, SecretValue};

use super::MysqlTarget;
use crate::privileges::literal;

/// The `mysql_native_password` hash: `*` + upper-case hex of SHA1(SHA1(password)).
fn native_hash(password: &str) -> String {
    let inner = Sha1::digest(password.as_bytes());
    format!("*{}", hex::encode_upper(Sha1::digest(inner)))
}

impl MysqlTarget {
    /// [`Target::issue`](tenure_plugin_api::Target::issue).
    pub(super) async fn issue_password(
        &self,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = DbCredential::from_current(current)?;
        let password = DbCredential::fresh_password(self.config.password_length)?;
        Ok(current
            .with_login(current.username.clone(), password)
            .to_value())
    }

    /// [`Target::apply`](tenure_plugin_api::Target::apply).
    pub(super) async fn apply_password(&self, pending: &SecretValue) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if !self.exists(&pending.username).await? {
            return Err(PluginError::not_found(format!(
                "account {} does not exist",
                self.grantee(&pending.username)
            )));
        }
        self.set_password(&pending.username, &pending.password)
            .await
    }

    /// [`Target::rollback`](tenure_plugin_api::Target::rollback): the
    /// current password back, or without one the account locked.
    pub(super) async fn rollback_password(
        &self,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        match current.map(DbCredential::parse).transpose()? {
            Some(current) => {
                self.set_password(&current.username, &current.password)
                    .await
            }
            None => {
                self.execute(&format!(
                    "ALTER USER {} ACCOUNT LOCK",
                    self.account(&pending.username)
                ))
                .await
            }
        }
    }

    async fn set_password(&self, user: &str, password: &SecretValue) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let statement = if admin.mariadb {
            format!(
                "ALTER USER {} IDENTIFIED BY PASSWORD {}",
                self.account(user),
                literal(&native_hash(password.expose()))
            )
        } else {
            format!(
                "ALTER USER {} IDENTIFIED BY {}",
                self.account(user),
                literal(password.expose())
            )
        };
        self.execute(&statement).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_hash_matches_the_server_format() {
        // SELECT PASSWORD('password') on MariaDB gives this value.
        assert_eq!(
            native_hash("password"),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        // Safe under NO_BACKSLASH_ESCAPES, which the admin session sets.
        assert_eq!(literal("it's \\"), "'it''s \\'");
        assert_eq!(literal("a\\' OR '1'='1"), "'a\\'' OR ''1''=''1'");
    }
}
