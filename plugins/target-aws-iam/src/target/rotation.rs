//! Rotation: issuing a key (marked in progress by a user tag, so a retry of
//! the same run removes a key whose secret was never stored), applying it,
//! testing it with STS, rolling it back and retiring the previous key.

use std::time::{Duration, Instant};

use aws_sdk_iam::types::Tag;
use tenure_plugin_api::{PluginError, Proof, SecretValue, TargetContext};

use super::IamTarget;
use super::keys::KeyInfo;
use crate::error::{error, gone_is_done};
use crate::key::AccessKey;

/// The user tag that marks a key creation in progress.
const ISSUING: &str = "tenure-issuing";

impl IamTarget {
    /// [`Target::issue`](tenure_plugin_api::Target::issue): a new key for
    /// the user, after removing what an earlier attempt of this run left.
    pub(super) async fn issue_key(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = AccessKey::from_current(current)?;
        let user = current.user_name.as_str();
        let mut keys = self.keys(user).await?;
        match self
            .issuing_tag(user)
            .await?
            .and_then(|tag| recorded_before(&tag, ctx.run_id))
        {
            Some(before) => {
                // An earlier attempt of this run created a key whose secret
                // was never stored: it can never be used, so it goes.
                for key in keys.iter().filter(|k| !before.contains(&k.id)) {
                    if key.id != current.access_key_id {
                        self.remove_key(user, &key.id).await?;
                    }
                }
                keys.retain(|k| before.contains(&k.id) || k.id == current.access_key_id);
            }
            None => {
                let tag = Tag::builder()
                    .key(ISSUING)
                    .value(issuing_value(ctx.run_id, &keys))
                    .build()
                    .map_err(|e| PluginError::permanent(format!("tag: {e}")))?;
                self.iam()
                    .await
                    .tag_user()
                    .user_name(user)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(|e| error(&format!("tag {user}"), e))?;
            }
        }
        for key in keys.iter().filter(|k| k.id != current.access_key_id) {
            if key.active {
                return Err(PluginError::conflict(format!(
                    "IAM user {user} has another active access key ({}) that {} does not hold; \
                     IAM allows two keys and Tenure never deletes an active key it does not know",
                    key.id, ctx.address
                )));
            }
            // An inactive leftover (a retirement that did not finish).
            self.remove_key(user, &key.id).await?;
        }
        let out = self
            .iam()
            .await
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("create access key for {user}"), e))?;
        let created = out
            .access_key
            .ok_or_else(|| PluginError::permanent("create access key: no key returned"))?;
        tracing::debug!(user, key = created.access_key_id, "created an access key");
        Ok(AccessKey {
            user_name: user.to_owned(),
            access_key_id: created.access_key_id,
            secret_access_key: SecretValue::new(created.secret_access_key),
        }
        .to_value())
    }

    /// [`Target::apply`](tenure_plugin_api::Target::apply).
    pub(super) async fn apply_key(&self, pending: &SecretValue) -> Result<(), PluginError> {
        // The key is live since its creation; now that its secret is stored,
        // the creation is no longer "in progress".
        let pending = AccessKey::parse(pending)?;
        self.clear_issuing(&pending.user_name).await
    }

    /// [`Target::test`](tenure_plugin_api::Target::test): STS accepts the
    /// key as the user, waiting while IAM settles.
    pub(super) async fn test_key(&self, value: &SecretValue) -> Result<Proof, PluginError> {
        let key = AccessKey::parse(value)?;
        let deadline = Instant::now() + self.config.settle_timeout;
        let mut wait = Duration::from_millis(250);
        loop {
            match self.caller(&key).await? {
                Ok(arn) if arn.rsplit('/').next() == Some(key.user_name.as_str()) => {
                    return Ok(Proof::new(
                        "sts_get_caller_identity",
                        format!("key {} authenticates as {arn}", key.access_key_id),
                    ));
                }
                Ok(arn) => {
                    return Err(PluginError::permanent(format!(
                        "key {} authenticates as {arn}, not as user {}",
                        key.access_key_id, key.user_name
                    )));
                }
                Err(refusal) if Instant::now() >= deadline => {
                    return Err(PluginError::retryable(format!(
                        "key {} is still refused ({refusal}) after {:?}",
                        key.access_key_id, self.config.settle_timeout
                    )));
                }
                // IAM is eventually consistent: a new key may need seconds.
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(4));
                }
            }
        }
    }

    /// [`Target::rollback`](tenure_plugin_api::Target::rollback): the new
    /// key goes.
    pub(super) async fn rollback_key(&self, pending: &SecretValue) -> Result<(), PluginError> {
        let pending = AccessKey::parse(pending)?;
        self.remove_key(&pending.user_name, &pending.access_key_id)
            .await?;
        self.clear_issuing(&pending.user_name).await
    }

    /// [`Target::retire`](tenure_plugin_api::Target::retire): the previous
    /// key goes.
    pub(super) async fn retire_key(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let previous = AccessKey::parse(previous)?;
        let current = AccessKey::parse(current)?;
        if previous.access_key_id.is_empty() || previous.access_key_id == current.access_key_id {
            return Ok(());
        }
        self.remove_key(&previous.user_name, &previous.access_key_id)
            .await
    }

    async fn issuing_tag(&self, user: &str) -> Result<Option<String>, PluginError> {
        let out = self
            .iam()
            .await
            .list_user_tags()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list tags of {user}"), e))?;
        Ok(out
            .tags()
            .iter()
            .find(|t| t.key() == ISSUING)
            .map(|t| t.value().to_owned()))
    }

    pub(super) async fn clear_issuing(&self, user: &str) -> Result<(), PluginError> {
        let result = self
            .iam()
            .await
            .untag_user()
            .user_name(user)
            .tag_keys(ISSUING)
            .send()
            .await;
        gone_is_done(result, || format!("untag {user}"))
    }
}

fn issuing_value(run: &str, before: &[KeyInfo]) -> String {
    let ids: Vec<&str> = before.iter().map(|k| k.id.as_str()).collect();
    format!("run={run};before={}", ids.join(","))
}

/// The key ids an earlier attempt of `run` recorded, if the tag is its own.
fn recorded_before(tag: &str, run: &str) -> Option<Vec<String>> {
    let rest = tag.strip_prefix("run=")?;
    let (tag_run, before) = rest.split_once(";before=")?;
    (tag_run == run).then(|| {
        before
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}
