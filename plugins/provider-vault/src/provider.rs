//! [`VaultProvider`]: the [`Provider`] trait over KV v2.

use std::collections::{BTreeMap, HashMap};

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};
use tenure_plugin_api::{
    LeaseRevocation, PluginError, Provider, ProviderCapabilities, SecretMetadata, SecretValue,
    Stage, VersionId, VersionInfo, async_trait,
};
use vaultrs::api::kv2::requests::{SetSecretMetadataRequest, SetSecretRequestOptions};
use vaultrs::kv2;

use crate::config::VaultConfig;
use crate::convert::{error, from_map, is_not_found, time, to_map};
use crate::leases;
use crate::session::{Session, SessionStats};

const PREVIOUS: &str = "tenure_previous_version";
const DISABLED: &str = "tenure_disabled";
const PENDING: &str = "pending:";

/// The vault provider.
pub struct VaultProvider {
    name: String,
    config: VaultConfig,
    session: Session,
}

impl std::fmt::Debug for VaultProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultProvider")
            .field("name", &self.name)
            .field("mount", &self.config.mount)
            .finish_non_exhaustive()
    }
}

struct Meta {
    current: u64,
    versions: Vec<(u64, Option<chrono::DateTime<Utc>>, bool)>,
    custom: HashMap<String, String>,
}

impl VaultProvider {
    /// A provider named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: VaultConfig) -> Self {
        Self {
            name: name.into(),
            session: Session::new(config.clone()),
            config,
        }
    }

    /// How many logins and token renewals this provider has made.
    pub fn session_stats(&self) -> SessionStats {
        self.session.stats()
    }

    fn staged(&self, path: &str) -> String {
        format!("{}/{path}", self.config.staging)
    }

    async fn metadata(&self, path: &str) -> Result<Option<Meta>, PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        match kv2::read_metadata(client, &self.config.mount, path).await {
            Ok(meta) => Ok(Some(Meta {
                current: meta.current_version,
                versions: meta
                    .versions
                    .iter()
                    .filter_map(|(n, v)| {
                        Some((
                            n.parse().ok()?,
                            time(&v.created_time),
                            v.destroyed || time(&v.deletion_time).is_some(),
                        ))
                    })
                    .collect(),
                custom: meta.custom_metadata.unwrap_or_default(),
            })),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(error(&format!("read metadata of {path}"), e)),
        }
    }

    async fn write_custom(
        &self,
        path: &str,
        custom: HashMap<String, String>,
    ) -> Result<(), PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        let mut request = SetSecretMetadataRequest::builder();
        request.custom_metadata(custom);
        kv2::set_metadata(client, &self.config.mount, path, Some(&mut request))
            .await
            .map_err(|e| error(&format!("write metadata of {path}"), e))
    }

    /// The tokens of staged versions for `path`.
    async fn staged_tokens(&self, path: &str) -> Result<Vec<String>, PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        match kv2::list(client, &self.config.mount, &self.staged(path)).await {
            Ok(keys) => Ok(keys.into_iter().filter(|k| !k.ends_with('/')).collect()),
            Err(e) if is_not_found(&e) => Ok(Vec::new()),
            Err(e) => Err(error(&format!("list staged versions of {path}"), e)),
        }
    }

    async fn read_map(
        &self,
        path: &str,
        version: Option<u64>,
    ) -> Result<Map<String, Value>, PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        let result = match version {
            Some(v) => {
                kv2::read_version::<Map<String, Value>>(client, &self.config.mount, path, v).await
            }
            None => kv2::read::<Map<String, Value>>(client, &self.config.mount, path).await,
        };
        result.map_err(|e| error(&format!("read {path}"), e))
    }

    async fn write(&self, path: &str, value: &SecretValue, cas: u64) -> Result<u64, PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        let cas = u32::try_from(cas)
            .map_err(|_| PluginError::permanent("version number out of range"))?;
        kv2::set_with_options(
            client,
            &self.config.mount,
            path,
            &to_map(value),
            SetSecretRequestOptions { cas },
        )
        .await
        .map(|v| v.version)
        .map_err(|e| error(&format!("write {path}"), e))
    }

    /// The secret's metadata; `with_pending` also lists staged versions.
    async fn describe_with(
        &self,
        path: &str,
        with_pending: bool,
    ) -> Result<SecretMetadata, PluginError> {
        let meta = self
            .metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
        let previous: Option<u64> = meta.custom.get(PREVIOUS).and_then(|v| v.parse().ok());
        let mut versions: Vec<VersionInfo> = meta
            .versions
            .iter()
            .map(|&(n, created, gone)| {
                let mut stages = Vec::new();
                if n == meta.current && !gone {
                    stages.push(Stage::Current);
                } else if Some(n) == previous && !gone {
                    stages.push(Stage::Previous);
                }
                VersionInfo {
                    id: VersionId(n.to_string()),
                    created_at: created.unwrap_or_else(Utc::now),
                    stages,
                    token: None,
                }
            })
            .collect();
        versions.sort_by_key(|v| v.id.0.parse::<u64>().unwrap_or(0));
        let tokens = if with_pending {
            self.staged_tokens(path).await?
        } else {
            Vec::new()
        };
        for token in tokens {
            let staged = self
                .metadata(&format!("{}/{token}", self.staged(path)))
                .await?;
            let created = staged
                .and_then(|m| m.versions.iter().map(|v| v.1).max().flatten())
                .unwrap_or_else(Utc::now);
            versions.push(VersionInfo {
                id: VersionId(format!("{PENDING}{token}")),
                created_at: created,
                stages: vec![Stage::Pending],
                token: Some(token),
            });
        }
        let tags = meta
            .custom
            .iter()
            .filter(|(k, _)| !k.starts_with("tenure_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(SecretMetadata {
            path: path.to_owned(),
            versions,
            tags,
            enabled: meta.custom.get(DISABLED).map(String::as_str) != Some("true"),
            expires_at: None,
        })
    }

    fn token_of(version: &VersionId) -> Option<&str> {
        version.0.strip_prefix(PENDING)
    }

    async fn list_folder(&self, folder: &str, out: &mut Vec<String>) -> Result<(), PluginError> {
        let session = self.session.client().await?;
        let client = session.as_ref();
        let keys = match kv2::list(client, &self.config.mount, folder).await {
            Ok(keys) => keys,
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(error(&format!("list {folder}"), e)),
        };
        for key in keys {
            let full = if folder.is_empty() {
                key.clone()
            } else {
                format!("{folder}/{key}")
            };
            match key.strip_suffix('/') {
                Some(_) if full.trim_end_matches('/') == self.config.staging => {}
                Some(_) => Box::pin(self.list_folder(full.trim_end_matches('/'), out)).await?,
                None => out.push(full),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Provider for VaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        ProviderCapabilities {
            pending_stage: true,
            disable: true,
            tags: true,
        }
    }

    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        let mut paths = Vec::new();
        let root = self.config.prefix.clone().unwrap_or_default();
        self.list_folder(root.trim_matches('/'), &mut paths).await?;
        let mut all = Vec::with_capacity(paths.len());
        for path in paths {
            match self.describe(&path).await {
                Ok(meta) => all.push(meta),
                Err(e) if e.kind() == tenure_plugin_api::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(all)
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        self.describe_with(path, true).await
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        // Current and previous come from the metadata alone: no need to list
        // the staging folder (one request fewer per read).
        let meta = self.describe_with(path, stage == Stage::Pending).await?;
        if !meta.enabled {
            return Err(PluginError::permanent(format!("secret {path} is disabled")));
        }
        let version = meta.version(stage).map(|v| v.id.clone()).ok_or_else(|| {
            PluginError::not_found(format!("{} version of {path}", stage.as_str()))
        })?;
        self.read_version(path, &version).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        let map = match Self::token_of(version) {
            Some(token) => {
                self.read_map(&format!("{}/{token}", self.staged(path)), None)
                    .await?
            }
            None => {
                let n = version
                    .0
                    .parse()
                    .map_err(|_| PluginError::not_found(format!("version {version} of {path}")))?;
                self.read_map(path, Some(n)).await?
            }
        };
        Ok(from_map(map))
    }

    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let meta = self.metadata(path).await?;
        let current = meta.as_ref().map_or(0, |m| m.current);
        let written = self.write(path, value, current).await?;
        let mut custom = meta.map(|m| m.custom).unwrap_or_default();
        custom.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if current > 0 {
            custom.insert(PREVIOUS.to_owned(), current.to_string());
        }
        self.write_custom(path, custom).await?;
        Ok(VersionId(written.to_string()))
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        if token.is_empty() || token.contains('/') {
            return Err(PluginError::permanent(
                "a staging token must be non-empty and contain no '/'",
            ));
        }
        if self.metadata(path).await?.is_none() {
            return Err(PluginError::not_found(format!("secret {path}")));
        }
        let tokens = self.staged_tokens(path).await?;
        if tokens.iter().any(|t| t == token) {
            return Ok(VersionId(format!("{PENDING}{token}")));
        }
        if let Some(other) = tokens.first() {
            return Err(PluginError::conflict(format!(
                "{path} already has a pending version from rotation {other}"
            )));
        }
        let staged = format!("{}/{token}", self.staged(path));
        match self.write(&staged, value, 0).await {
            Ok(_) => {}
            // Written by an earlier attempt with this token: keep it.
            Err(e) if e.kind() == tenure_plugin_api::ErrorKind::Conflict => {}
            Err(e) => return Err(e),
        }
        let custom: HashMap<String, String> = annotations
            .iter()
            .map(|(k, v)| (format!("tenure_{k}"), v.clone()))
            .collect();
        self.write_custom(&staged, custom).await?;
        Ok(VersionId(format!("{PENDING}{token}")))
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let Some(token) = Self::token_of(version) else {
            // A numbered version: it must already be current.
            let meta = self
                .metadata(path)
                .await?
                .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
            return if meta.current.to_string() == version.0 {
                Ok(())
            } else {
                Err(PluginError::permanent(format!(
                    "only a pending version can be promoted, not {version}"
                )))
            };
        };
        let staged = format!("{}/{token}", self.staged(path));
        let Some(staged_meta) = self.metadata(&staged).await? else {
            // Already promoted (and the staged copy removed): nothing to do.
            let meta = self
                .metadata(path)
                .await?
                .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
            return if meta.custom.get("tenure_promoted_token").map(String::as_str) == Some(token) {
                Ok(())
            } else {
                Err(PluginError::not_found(format!(
                    "pending version {version} of {path}"
                )))
            };
        };
        let value = from_map(self.read_map(&staged, None).await?);
        let meta = self
            .metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
        let mut custom = meta.custom.clone();
        // A retry after a crash between the write and the cleanup finds the value already current.
        let already = custom.get("tenure_promoted_token").map(String::as_str) == Some(token);
        if !already {
            self.write(path, &value, meta.current).await?;
            custom.insert(PREVIOUS.to_owned(), meta.current.to_string());
            custom.insert("tenure_promoted_token".to_owned(), token.to_owned());
            custom.insert(
                "tenure_rotated_at".to_owned(),
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            if let Some(reason) = staged_meta.custom.get("tenure_reason") {
                custom.insert("tenure_reason".to_owned(), reason.clone());
            }
            self.write_custom(path, custom).await?;
        }
        let session = self.session.client().await?;
        let client = session.as_ref();
        match kv2::delete_metadata(client, &self.config.mount, &staged).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(error(&format!("delete staged {path}"), e)),
        }
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let Some(token) = Self::token_of(version) else {
            return Ok(());
        };
        let session = self.session.client().await?;
        let client = session.as_ref();
        match kv2::delete_metadata(
            client,
            &self.config.mount,
            &format!("{}/{token}", self.staged(path)),
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(error(&format!("discard pending {path}"), e)),
        }
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        if Self::token_of(version).is_some() {
            return self.discard_pending(path, version).await;
        }
        let Ok(n) = version.0.parse::<u64>() else {
            return Ok(());
        };
        let Some(meta) = self.metadata(path).await? else {
            return Ok(());
        };
        if meta.current == n {
            return Err(PluginError::conflict(format!(
                "version {n} of {path} is current and cannot be retired"
            )));
        }
        let session = self.session.client().await?;
        let client = session.as_ref();
        kv2::destroy_versions(client, &self.config.mount, path, vec![n])
            .await
            .map_err(|e| error(&format!("destroy version {n} of {path}"), e))
    }

    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        let meta = self
            .metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
        let mut custom = meta.custom;
        custom.insert(DISABLED.to_owned(), (!enabled).to_string());
        self.write_custom(path, custom).await?;
        let session = self.session.client().await?;
        let client = session.as_ref();
        let result = if enabled {
            kv2::undelete_versions(client, &self.config.mount, path, vec![meta.current]).await
        } else {
            kv2::delete_latest(client, &self.config.mount, path).await
        };
        result.map_err(|e| error(&format!("set enabled={enabled} on {path}"), e))
    }

    async fn revoke_leases(&self, prefix: &str) -> Result<LeaseRevocation, PluginError> {
        let session = self.session.client().await?;
        leases::revoke_prefix(session.as_ref(), prefix).await
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let meta = self
            .metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
        let mut custom = meta.custom;
        custom.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.write_custom(path, custom).await
    }
}
