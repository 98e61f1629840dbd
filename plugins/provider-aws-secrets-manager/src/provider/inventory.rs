//! [`Catalog`]: every secret under the prefix (`ListSecrets`, with those
//! scheduled for deletion, shown as disabled) and one secret's metadata,
//! each with its versions by label.

use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, Tag};
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use tenure_plugin_api::{
    Catalog, ErrorKind, PluginError, SecretMetadata, Stage, VersionId, VersionInfo, async_trait,
};

use super::AwsSecretsManagerProvider;
use super::versions::{CURRENT, PENDING, PREVIOUS, Version};
use crate::budget::Family;
use crate::convert::{error, staging_token};

/// Tags Tenure keeps for itself start with this; they are not shown as tags.
const OWN_TAG: &str = "tenure:";
/// How many secrets' versions the inventory fetches at once.
const INVENTORY_CONCURRENCY: usize = 8;

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

#[async_trait]
impl Catalog for AwsSecretsManagerProvider {
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
}

impl AwsSecretsManagerProvider {
    /// The secret's tags and whether it is scheduled for deletion.
    pub(super) async fn head(&self, path: &str) -> Result<(Vec<Tag>, bool), PluginError> {
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
}
