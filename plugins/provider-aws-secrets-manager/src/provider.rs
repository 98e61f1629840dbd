//! [`AwsSecretsManagerProvider`]: the [`Provider`] trait over AWS Secrets
//! Manager's staging labels.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use tenure_plugin_api::{
    ErrorKind, PluginError, Provider, ProviderCapabilities, Revocation, SecretMetadata,
    SecretValue, Stage, VersionId, VersionInfo, async_trait,
};
use tokio::sync::OnceCell;

use crate::budget::{Budgets, Family};
use crate::config::AwsConfig;
use crate::convert::{error, request_token, staging_token, time};

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";
const PREVIOUS: &str = "AWSPREVIOUS";
/// Tags Tenure keeps for itself start with this; they are not shown as tags.
const OWN_TAG: &str = "tenure:";
/// How many secrets' versions the inventory fetches at once.
const INVENTORY_CONCURRENCY: usize = 8;

/// The AWS Secrets Manager provider.
pub struct AwsSecretsManagerProvider {
    name: String,
    config: AwsConfig,
    sdk: Option<SdkConfig>,
    client: OnceCell<Client>,
    budgets: Budgets,
}

impl std::fmt::Debug for AwsSecretsManagerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSecretsManagerProvider")
            .field("name", &self.name)
            .field("region", &self.config.region)
            .finish_non_exhaustive()
    }
}

/// One version as the label map shows it.
struct Version {
    id: String,
    stages: Vec<String>,
    created: Option<chrono::DateTime<Utc>>,
}

fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Current => CURRENT,
        Stage::Pending => PENDING,
        Stage::Previous => PREVIOUS,
    }
}

fn metadata(path: &str, tags: &[Tag], deleted: bool, mut versions: Vec<Version>) -> SecretMetadata {
    versions.sort_by_key(|v| v.created);
    let versions = versions
        .into_iter()
        .filter_map(|v| {
            let stages: Vec<Stage> = v
                .stages
                .iter()
                .filter_map(|s| match s.as_str() {
                    CURRENT => Some(Stage::Current),
                    PENDING => Some(Stage::Pending),
                    PREVIOUS => Some(Stage::Previous),
                    _ => None,
                })
                .collect();
            if stages.is_empty() {
                // Deprecated versions are AWS's to garbage-collect.
                return None;
            }
            let token = stages
                .contains(&Stage::Pending)
                .then(|| staging_token(&v.id));
            Some(VersionInfo {
                created_at: v.created.unwrap_or_else(Utc::now),
                id: VersionId(v.id),
                stages,
                token,
                // Labelled versions are served by id as by stage.
                readable: true,
            })
        })
        .collect();
    SecretMetadata {
        path: path.to_owned(),
        versions,
        tags: tags
            .iter()
            .filter(|t| !t.key().is_some_and(|k| k.starts_with(OWN_TAG)))
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect(),
        enabled: !deleted,
        expires_at: None,
    }
}

fn tags_of(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

impl AwsSecretsManagerProvider {
    /// A provider named `name`, with credentials and region from the standard
    /// AWS chain; connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: AwsConfig) -> Self {
        Self {
            name: name.into(),
            budgets: Budgets::new(&config.rate),
            config,
            sdk: None,
            client: OnceCell::new(),
        }
    }

    /// A provider over an SDK config built by the caller (tests, or programs
    /// that embed Tenure and load AWS config themselves).
    pub fn with_sdk_config(name: impl Into<String>, config: AwsConfig, sdk: SdkConfig) -> Self {
        Self {
            sdk: Some(sdk),
            ..Self::new(name, config)
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                if let Some(sdk) = &self.sdk {
                    return Client::new(sdk);
                }
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(region) = &self.config.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(profile) = &self.config.profile {
                    loader = loader.profile_name(profile);
                }
                Client::new(&loader.load().await)
            })
            .await
    }

    /// Every version with its labels and creation time.
    async fn versions(&self, path: &str) -> Result<Vec<Version>, PluginError> {
        let client = self.client().await;
        let mut versions = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.budgets.acquire(Family::List).await;
            let page = client
                .list_secret_version_ids()
                .secret_id(path)
                .max_results(100)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| error(&format!("list versions of {path}"), e))?;
            versions.extend(page.versions().iter().filter_map(|v| {
                Some(Version {
                    id: v.version_id()?.to_owned(),
                    stages: v.version_stages().to_vec(),
                    created: v.created_date().and_then(time),
                })
            }));
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => return Ok(versions),
            }
        }
    }

    /// The secret's tags and whether it is scheduled for deletion.
    async fn head(&self, path: &str) -> Result<(Vec<Tag>, bool), PluginError> {
        self.budgets.acquire(Family::Read).await;
        let out = self
            .client()
            .await
            .describe_secret()
            .secret_id(path)
            .send()
            .await
            .map_err(|e| error(&format!("describe {path}"), e))?;
        Ok((out.tags().to_vec(), out.deleted_date().is_some()))
    }

    /// The version carrying `label`, if any.
    async fn labelled(&self, path: &str, label: &str) -> Result<Option<String>, PluginError> {
        Ok(self
            .versions(path)
            .await?
            .into_iter()
            .find(|v| v.stages.iter().any(|s| s == label))
            .map(|v| v.id))
    }

    /// Moves `label` onto `to` and/or off `from`.
    async fn move_label(
        &self,
        path: &str,
        label: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), PluginError> {
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .update_secret_version_stage()
            .secret_id(path)
            .version_stage(label)
            .set_move_to_version_id(to.map(str::to_owned))
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("move {label} of {path}"), e))
    }

    async fn tag(&self, path: &str, tags: Vec<Tag>) -> Result<(), PluginError> {
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

    async fn get_value(
        &self,
        path: &str,
        stage: Option<&str>,
        version: Option<&str>,
    ) -> Result<SecretValue, PluginError> {
        self.budgets.acquire(Family::Read).await;
        let mut out = self
            .client()
            .await
            .get_secret_value()
            .secret_id(path)
            .set_version_stage(stage.map(str::to_owned))
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| error(&format!("read {path}"), e))?;
        match out.secret_string.take() {
            Some(text) => Ok(SecretValue::new(text)),
            None => Err(PluginError::permanent(format!(
                "{path} holds a binary value; Tenure rotates string secrets"
            ))),
        }
    }

    /// Schedules deletion with a recovery window (AWS's way to disable).
    pub async fn delete_with_window(&self, path: &str, days: u16) -> Result<(), PluginError> {
        let (_, deleted) = self.head(path).await?;
        if deleted {
            return Ok(());
        }
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .delete_secret()
            .secret_id(path)
            .recovery_window_in_days(i64::from(days.clamp(7, 30)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("schedule deletion of {path}"), e))
    }
}

#[async_trait]
impl Provider for AwsSecretsManagerProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }

    fn revocation(&self) -> Option<&dyn Revocation> {
        Some(self)
    }

    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        let client = self.client().await;
        let mut entries = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.budgets.acquire(Family::List).await;
            let mut request = client
                .list_secrets()
                .include_planned_deletion(true)
                .max_results(100)
                .set_next_token(next.take());
            if let Some(prefix) = &self.config.prefix {
                request = request.filters(
                    Filter::builder()
                        .key(FilterNameStringType::Name)
                        .values(prefix)
                        .build(),
                );
            }
            let page = request.send().await.map_err(|e| error("list secrets", e))?;
            entries.extend(page.secret_list().iter().filter_map(|entry| {
                let name = entry.name()?;
                // The Name filter matches by prefix of words; keep exact prefixes only.
                let wanted = self
                    .config
                    .prefix
                    .as_deref()
                    .is_none_or(|p| name.starts_with(p));
                wanted.then(|| {
                    (
                        name.to_owned(),
                        entry.tags().to_vec(),
                        entry.deleted_date().is_some(),
                    )
                })
            }));
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        stream::iter(entries)
            .map(|(name, tags, deleted)| async move {
                match self.versions(&name).await {
                    Ok(versions) => Ok(Some(metadata(&name, &tags, deleted, versions))),
                    // Deleted between the two calls.
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .buffered(INVENTORY_CONCURRENCY)
            .try_filter_map(|m| async move { Ok(m) })
            .try_collect()
            .await
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        let (tags, deleted) = self.head(path).await?;
        let versions = self.versions(path).await?;
        Ok(metadata(path, &tags, deleted, versions))
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        // Always an explicit stage: a read without one may lag a promotion.
        self.get_value(path, Some(stage_label(stage)), None).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        self.get_value(path, None, Some(&version.0)).await
    }

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
            Ok((_, true)) => {
                self.budgets.acquire(Family::Write).await;
                client
                    .restore_secret()
                    .secret_id(path)
                    .send()
                    .await
                    .map_err(|e| error(&format!("restore {path}"), e))?;
            }
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

    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        if !enabled {
            return self
                .delete_with_window(path, self.config.recovery_window_days)
                .await;
        }
        let (_, deleted) = self.head(path).await?;
        if !deleted {
            return Ok(());
        }
        self.budgets.acquire(Family::Write).await;
        self.client()
            .await
            .restore_secret()
            .secret_id(path)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error(&format!("restore {path}"), e))
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        self.tag(path, tags_of(tags)).await
    }
}

/// A revoked secret is deleted with the record's recovery window (Secrets
/// Manager cannot disable a secret), so it can be restored within it.
#[async_trait]
impl Revocation for AwsSecretsManagerProvider {
    async fn disable_revoked(
        &self,
        path: &str,
        recovery_window: Option<Duration>,
    ) -> Result<(), PluginError> {
        let days = recovery_window.map_or(self.config.recovery_window_days, |w| {
            u16::try_from(w.as_secs().div_ceil(86_400)).unwrap_or(30)
        });
        self.delete_with_window(path, days).await
    }
}
