//! [`Writes`]: the current value written (or the secret created), a
//! pending version staged under `AWSPENDING` with a request token derived
//! from the rotation's, promoted by moving `AWSCURRENT`, discarded or
//! retired by removing its label; and tagging, which promotion and
//! [`Attributes::set_tags`](tenure_plugin_api::Attributes::set_tags) share.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::types::Tag;
use chrono::Utc;
use tenure_plugin_api::{ErrorKind, PluginError, SecretValue, VersionId, Writes, async_trait};

use super::AwsSecretsManagerProvider;
use super::versions::{CURRENT, PENDING, PREVIOUS};
use crate::budget::Family;
use crate::convert::{error, request_token, staging_token};

pub(super) fn tags_of(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[async_trait]
impl Writes for AwsSecretsManagerProvider {
    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let client = self.client().await;
        match self.head(path).await {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.budgets.acquire(Family::Write).await;
                let out = client
                    .create_secret()
                    .name(path)
                    .secret_string(value.expose())
                    .set_tags(Some(tags_of(tags)).filter(|t| !t.is_empty()))
                    .send()
                    .await
                    .map_err(|e| error(&format!("create {path}"), e))?;
                return out
                    .version_id()
                    .map(|v| VersionId(v.to_owned()))
                    .ok_or_else(|| {
                        PluginError::permanent(format!("create {path}: no version id"))
                    });
            }
            Err(e) => return Err(e),
            Ok((_, true)) => self.restore(path).await?,
            Ok((_, false)) => {}
        }
        self.budgets.acquire(Family::Write).await;
        let out = client
            .put_secret_value()
            .secret_id(path)
            .secret_string(value.expose())
            .send()
            .await
            .map_err(|e| error(&format!("write {path}"), e))?;
        self.tag(path, tags_of(tags)).await?;
        out.version_id()
            .map(|v| VersionId(v.to_owned()))
            .ok_or_else(|| PluginError::permanent(format!("write {path}: no version id")))
    }

    /// The annotations are not kept: the version id is the rotation's.
    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        _annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let request = request_token(token)?;
        let versions = self.versions(path).await?;
        if let Some(pending) = versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == PENDING))
        {
            return if pending.id == request {
                Ok(VersionId(request))
            } else {
                Err(PluginError::conflict(format!(
                    "{path} already has a pending version from rotation {}",
                    staging_token(&pending.id)
                )))
            };
        }
        if versions.iter().any(|v| v.id == request) {
            // Staged earlier with this token, then unlabelled: label it again.
            self.move_label(path, PENDING, Some(&request), None).await?;
            return Ok(VersionId(request));
        }
        self.budgets.acquire(Family::Write).await;
        let result = self
            .client()
            .await
            .put_secret_value()
            .secret_id(path)
            .client_request_token(&request)
            .secret_string(value.expose())
            .version_stages(PENDING)
            .send()
            .await;
        match result {
            Ok(_) => Ok(VersionId(request)),
            Err(e) => {
                let e = error(&format!("stage pending for {path}"), e);
                if e.kind() == ErrorKind::Conflict {
                    // The same token raced us here: it is ours.
                    self.move_label(path, PENDING, Some(&request), None).await?;
                    Ok(VersionId(request))
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let versions = self.versions(path).await?;
        let Some(target) = versions.iter().find(|v| v.id == version.0) else {
            return Err(PluginError::not_found(format!(
                "version {version} of {path}"
            )));
        };
        let current = versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == CURRENT))
            .map(|v| v.id.as_str());
        if current != Some(target.id.as_str()) {
            // AWS moves AWSPREVIOUS to the version that loses AWSCURRENT.
            self.move_label(path, CURRENT, Some(&target.id), current)
                .await?;
            self.tag(
                path,
                vec![
                    Tag::builder()
                        .key("tenure:rotated-at")
                        .value(tenure_plugin_api::stamp(Utc::now()))
                        .build(),
                ],
            )
            .await?;
        }
        if target.stages.iter().any(|s| s == PENDING) {
            self.move_label(path, PENDING, None, Some(&target.id))
                .await?;
        }
        Ok(())
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        match self.labelled(path, PENDING).await {
            Ok(Some(id)) if id == version.0 => {
                self.move_label(path, PENDING, None, Some(&id)).await
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let versions = match self.versions(path).await {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(found) = versions.iter().find(|v| v.id == version.0) else {
            return Ok(());
        };
        if found.stages.iter().any(|s| s == CURRENT) {
            return Err(PluginError::conflict(format!(
                "version {version} of {path} is current and cannot be retired"
            )));
        }
        for label in [PREVIOUS, PENDING] {
            if found.stages.iter().any(|s| s == label) {
                // Unlabelled, the version is deprecated and AWS removes it.
                self.move_label(path, label, None, Some(&found.id)).await?;
            }
        }
        Ok(())
    }
}

impl AwsSecretsManagerProvider {
    /// Adds `tags` to the secret; none is no request.
    pub(super) async fn tag(&self, path: &str, tags: Vec<Tag>) -> Result<(), PluginError> {
        if tags.is_empty() {
            return Ok(());
        }
        self.budgets.acquire(Family::Tag).await;
        self.client()
            .await
            .tag_resource()
            .secret_id(path)
            .set_tags(Some(tags))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("tag {path}"), e))
    }
}
