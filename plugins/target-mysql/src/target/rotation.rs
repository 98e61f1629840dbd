//! Rotation helpers: a password set on the account (on MariaDB as the
//! `mysql_native_password` hash, never in clear text).

use sha1::{Digest, Sha1};
use tenure_plugin_api::{PluginError, SecretValue};

use super::MysqlTarget;
use crate::privileges::literal;

/// The `mysql_native_password` hash: `*` + upper-case hex of SHA1(SHA1(password)).
pub(super) fn native_hash(password: &str) -> String {
    let inner = Sha1::digest(password.as_bytes());
    format!("*{}", hex::encode_upper(Sha1::digest(inner)))
}

impl MysqlTarget {
    pub(super) async fn set_password(
        &self,
        user: &str,
        password: &SecretValue,
    ) -> Result<(), PluginError> {
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
