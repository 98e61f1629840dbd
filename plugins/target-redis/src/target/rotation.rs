//! Rotation helpers: the SHA-256 form of a password, a constant-time digest
//! compare, and taking one password away from a user.

use sha2::{Digest, Sha256};
use tenure_plugin_api::{PluginError, SecretValue};

use super::RedisTarget;
use crate::acl::passwords;

/// Whether two password digests are the same, in constant time.
pub(super) fn same_digest(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The SHA-256 form Redis accepts for `#<hash>` and `!<hash>`.
pub(super) fn hash(password: &SecretValue) -> String {
    hex::encode(Sha256::digest(password.expose().as_bytes()))
}

impl RedisTarget {
    async fn has_password(&self, user: &str, password: &SecretValue) -> Result<bool, PluginError> {
        let Some(reply) = self.get_user(user).await? else {
            return Ok(false);
        };
        let digest = hash(password);
        Ok(passwords(&reply)
            .iter()
            .any(|held| same_digest(held, &digest)))
    }

    pub(super) async fn remove_password(
        &self,
        user: &str,
        password: &SecretValue,
    ) -> Result<(), PluginError> {
        if self.has_password(user, password).await? {
            self.acl(&["SETUSER", user, &format!("!{}", hash(password))])
                .await?;
        }
        Ok(())
    }
}
