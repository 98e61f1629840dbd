//! Rotation: the new password added next to the current one as a SHA-256
//! hash, and taken away again on rollback.

use sha2::{Digest, Sha256};
use tenure_plugin_api::{DbCredential, PluginError, SecretValue};

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
        if self.get_user(&pending.username).await?.is_none() {
            return Err(PluginError::not_found(format!(
                "ACL user {} does not exist",
                pending.username
            )));
        }
        // Added next to the current password: both work until retire.
        self.acl(&[
            "SETUSER",
            &pending.username,
            &format!("#{}", hash(&pending.password)),
        ])
        .await?;
        Ok(())
    }

    /// [`Target::rollback`](tenure_plugin_api::Target::rollback).
    pub(super) async fn rollback_password(
        &self,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if let Some(current) = current.map(DbCredential::parse).transpose()?
            && current.password.ct_eq(&pending.password)
        {
            return Ok(());
        }
        self.remove_password(&pending.username, &pending.password)
            .await
    }

    async fn has_password(&self, user: &str, password: &SecretValue) -> Result<bool, PluginError> {
        let Some(reply) = self.get_user(user).await? else {
            return Ok(false);
        };
        let digest = hash(password);
        Ok(passwords(&reply)
            .iter()
            .any(|held| same_digest(held, &digest)))
    }

    async fn remove_password(&self, user: &str, password: &SecretValue) -> Result<(), PluginError> {
        if self.has_password(user, password).await? {
            self.acl(&["SETUSER", user, &format!("!{}", hash(password))])
                .await?;
        }
        Ok(())
    }
}
