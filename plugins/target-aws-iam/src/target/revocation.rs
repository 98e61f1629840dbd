//! Revocation: removing every key and the console password of the user,
//! and proving that STS refuses a key.

use std::time::{Duration, Instant};

use tenure_plugin_api::{ErrorKind, LoginOutcome, PluginError, Proof, SecretValue};

use super::IamTarget;
use crate::error::{code, error, gone_is_done};
use crate::key::AccessKey;

impl IamTarget {
    /// [`Target::revoke`](tenure_plugin_api::Target::revoke).
    pub(super) async fn revoke_user(&self, current: &SecretValue) -> Result<(), PluginError> {
        let key = AccessKey::parse(current)?;
        let keys = match self.keys(&key.user_name).await {
            Ok(keys) => keys,
            // The user is gone: so are its keys.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for other in keys {
            self.remove_key(&key.user_name, &other.id).await?;
        }
        self.delete_console_login(&key.user_name).await?;
        self.clear_issuing(&key.user_name).await
    }

    /// [`Target::verify_revoked`](tenure_plugin_api::Target::verify_revoked):
    /// STS refuses the key and the user has no console password.
    pub(super) async fn verify_user_revoked(
        &self,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        let key = AccessKey::parse(value)?;
        let refused = if key.access_key_id.is_empty() {
            "the secret holds no key".to_owned()
        } else {
            self.key_refused(&key).await?
        };
        // The user's console password is a way in too: revoke deletes it.
        if self.has_console_login(&key.user_name).await? {
            return Err(PluginError::retryable(format!(
                "IAM user {} still has a console password (login profile)",
                key.user_name
            )));
        }
        Ok(Proof::new(
            "sts_get_caller_identity",
            format!("{refused}; no console password (login profile)"),
        ))
    }

    /// [`Target::try_login`](tenure_plugin_api::Target::try_login).
    pub(super) async fn try_key(&self, value: &SecretValue) -> Result<LoginOutcome, PluginError> {
        let key = AccessKey::parse(value)?;
        if key.access_key_id.is_empty() {
            return Ok(LoginOutcome::Refused(Proof::new(
                "sts_get_caller_identity",
                "the secret holds no key",
            )));
        }
        Ok(match self.caller(&key).await? {
            Ok(arn) if arn.rsplit('/').next() == Some(key.user_name.as_str()) => {
                LoginOutcome::Accepted(Proof::new(
                    "sts_get_caller_identity",
                    format!("key {} authenticates as {arn}", key.access_key_id),
                ))
            }
            Ok(arn) => {
                return Err(PluginError::permanent(format!(
                    "key {} authenticates as {arn}, not as user {}",
                    key.access_key_id, key.user_name
                )));
            }
            Err(refusal) => LoginOutcome::Refused(Proof::new(
                "sts_get_caller_identity",
                format!("key {} refused: {refusal}", key.access_key_id),
            )),
        })
    }

    /// Why STS refuses `key`, waiting while a deleted key still works; an
    /// error when it still authenticates after the settle timeout.
    async fn key_refused(&self, key: &AccessKey) -> Result<String, PluginError> {
        let deadline = Instant::now() + self.config.settle_timeout;
        loop {
            match self.caller(key).await? {
                Err(refusal) => {
                    return Ok(format!("key {} refused: {refusal}", key.access_key_id));
                }
                Ok(arn) if Instant::now() >= deadline => {
                    return Err(PluginError::retryable(format!(
                        "key {} still authenticates as {arn}",
                        key.access_key_id
                    )));
                }
                // A deleted key can take a moment to stop working.
                Ok(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }

    /// Whether `user` has a console password. A user that does not exist
    /// has none.
    pub(super) async fn has_console_login(&self, user: &str) -> Result<bool, PluginError> {
        match self
            .iam()
            .await
            .get_login_profile()
            .user_name(user)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("NoSuchEntity") => Ok(false),
            Err(e) => Err(error(&format!("get login profile of {user}"), e)),
        }
    }

    /// Deletes the console password of `user`. Already gone is success.
    pub(super) async fn delete_console_login(&self, user: &str) -> Result<(), PluginError> {
        let result = self
            .iam()
            .await
            .delete_login_profile()
            .user_name(user)
            .send()
            .await;
        gone_is_done(result, || format!("delete login profile of {user}"))
    }
}
