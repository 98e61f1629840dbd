//! The user's access keys: listing them, removing one, and asking STS who
//! a key authenticates as.

use aws_credential_types::Credentials;
use aws_sdk_iam::types::StatusType;
use tenure_plugin_api::{ErrorKind, PluginError};

use super::IamTarget;
use crate::error::{code, error, gone_is_done, refusal};
use crate::key::AccessKey;

/// One of the user's keys.
pub(super) struct KeyInfo {
    pub(super) id: String,
    pub(super) active: bool,
}

impl IamTarget {
    pub(super) async fn keys(&self, user: &str) -> Result<Vec<KeyInfo>, PluginError> {
        let out = self
            .iam()
            .await
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list access keys of {user}"), e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    id: k.access_key_id()?.to_owned(),
                    active: k.status() == Some(&StatusType::Active),
                })
            })
            .collect())
    }

    /// The user's keys, or none when the user does not exist.
    pub(super) async fn keys_or_none(&self, user: &str) -> Result<Vec<KeyInfo>, PluginError> {
        match self.keys(user).await {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            other => other,
        }
    }

    /// Deactivates, then deletes, one key. Already gone is success.
    pub(super) async fn remove_key(&self, user: &str, id: &str) -> Result<(), PluginError> {
        let iam = self.iam().await;
        match iam
            .update_access_key()
            .user_name(user)
            .access_key_id(id)
            .status(StatusType::Inactive)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok(()),
            Err(e) => return Err(error(&format!("deactivate key {id} of {user}"), e)),
        }
        let result = iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await;
        gone_is_done(result, || format!("delete key {id} of {user}"))
    }

    /// Who STS says `key` is, or why it refused the key.
    pub(super) async fn caller(
        &self,
        key: &AccessKey,
    ) -> Result<Result<String, String>, PluginError> {
        let credentials = Credentials::new(
            key.access_key_id.clone(),
            key.secret_access_key.expose().to_owned(),
            None,
            None,
            "tenure-under-test",
        );
        let config = aws_sdk_sts::config::Builder::from(self.sdk().await)
            .credentials_provider(credentials)
            .build();
        let sts = aws_sdk_sts::Client::from_conf(config);
        match sts.get_caller_identity().send().await {
            Ok(out) => Ok(Ok(out.arn().unwrap_or_default().to_owned())),
            Err(e) => match refusal(&e) {
                Some(reason) => Ok(Err(reason)),
                None => Err(error("sts get-caller-identity", e)),
            },
        }
    }
}
