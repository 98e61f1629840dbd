//! [`VaultProvider`]: the [`Provider`] trait over KV v2.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use serde_json::{Map, Value};
use tenure_plugin_api::{
    ConsumerRead, ErrorKind, LeaseRevocation, PluginError, Promotion, Provider,
    ProviderCapabilities, SecretMetadata, SecretValue, Stage, VersionId, VersionInfo, async_trait,
};
use vaultrs::api::kv2::requests::SetSecretRequestOptions;
use vaultrs::kv2;

use crate::config::VaultConfig;
use crate::convert::{error, from_map, is_not_found, time, to_map};
use crate::leases;
use crate::raw;
use crate::session::{Session, SessionStats};

const PREVIOUS: &str = "tenure_previous_version";
const DISABLED: &str = "tenure_disabled";
const PROMOTED: &str = "tenure_promoted_token";
/// The token of the staged version, in the secret's own custom metadata.
const PENDING_TOKEN: &str = "tenure_pending";
/// When it was staged.
const PENDING_AT: &str = "tenure_pending_at";
/// The version that was current when it was staged: a promotion that finds
/// another current version knows something was written since.
const PENDING_BASE: &str = "tenure_pending_base";
/// Prefix of the staging annotations (`tenure_pending_note_reason`, ...).
const PENDING_NOTE: &str = "tenure_pending_note_";
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

impl Meta {
    /// The token of the staged version, if one is staged.
    fn pending_token(&self) -> Option<&str> {
        self.custom
            .get(PENDING_TOKEN)
            .map(String::as_str)
            .filter(|t| !t.is_empty())
    }

    /// Adds to `changes` the removal of every pending key (they all start
    /// with `tenure_pending`).
    fn clear_pending(&self, changes: &mut Map<String, Value>) {
        for key in self.custom.keys().filter(|k| k.starts_with(PENDING_TOKEN)) {
            changes.insert(key.clone(), Value::Null);
        }
    }
}

/// A JSON string.
fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

fn now_stamp() -> String {
    tenure_plugin_api::stamp(Utc::now())
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

    /// Where the value staged by `token` for `path` lives.
    fn staged(&self, path: &str, token: &str) -> String {
        format!("{}/{path}/{token}", self.config.staging)
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

    /// Merges `changes` into the custom metadata of `path` (a `null` removes
    /// a key); no request when there is nothing to change.
    async fn patch_custom(
        &self,
        path: &str,
        changes: Map<String, Value>,
    ) -> Result<(), PluginError> {
        if changes.is_empty() {
            return Ok(());
        }
        let session = self.session.client().await?;
        raw::patch_custom_metadata(session.as_ref(), &self.config.mount, path, changes).await
    }

    async fn delete_staged(&self, path: &str, token: &str) -> Result<(), PluginError> {
        let session = self.session.client().await?;
        let staged = self.staged(path, token);
        match kv2::delete_metadata(session.as_ref(), &self.config.mount, &staged).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(error(&format!("delete the staged version of {path}"), e)),
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

    /// The secret's metadata, from one metadata read: the staged version is
    /// named in the secret's own custom metadata.
    fn to_metadata(path: &str, meta: &Meta) -> SecretMetadata {
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
                    // Deleted or destroyed: KV serves no data for it.
                    readable: !gone,
                }
            })
            .collect();
        versions.sort_by_key(|v| v.id.0.parse::<u64>().unwrap_or(0));
        if let Some(token) = meta.pending_token() {
            versions.push(VersionInfo {
                id: VersionId(format!("{PENDING}{token}")),
                created_at: meta
                    .custom
                    .get(PENDING_AT)
                    .and_then(|at| time(at))
                    .unwrap_or_else(Utc::now),
                stages: vec![Stage::Pending],
                token: Some(token.to_owned()),
                readable: true,
            });
        }
        let tags = meta
            .custom
            .iter()
            .filter(|(k, _)| !k.starts_with("tenure_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        SecretMetadata {
            path: path.to_owned(),
            versions,
            tags,
            enabled: meta.custom.get(DISABLED).map(String::as_str) != Some("true"),
            expires_at: None,
        }
    }

    async fn existing(&self, path: &str) -> Result<Meta, PluginError> {
        self.metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))
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
            destroy_versions: true,
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
        let meta = self.existing(path).await?;
        Ok(Self::to_metadata(path, &meta))
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        let meta = self.describe(path).await?;
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
            Some(token) => self.read_map(&self.staged(path, token), None).await?,
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
        let current = self.metadata(path).await?.map_or(0, |m| m.current);
        let written = self.write(path, value, current).await?;
        let mut changes: Map<String, Value> =
            tags.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        if current > 0 {
            changes.insert(PREVIOUS.to_owned(), text(current.to_string()));
        }
        self.patch_custom(path, changes).await?;
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
        let version = VersionId(format!("{PENDING}{token}"));
        let meta = self.existing(path).await?;
        match meta.pending_token() {
            Some(staged) if staged == token => return Ok(version),
            Some(other) => {
                return Err(PluginError::conflict(format!(
                    "{path} already has a pending version from rotation {other}"
                )));
            }
            None => {}
        }
        // The value first, then the pointer to it: a crash in between leaves
        // a copy nothing points to, which a retry with this token replaces.
        let staged = self.staged(path, token);
        match self.write(&staged, value, 0).await {
            Ok(_) => {}
            Err(e) if e.kind() == tenure_plugin_api::ErrorKind::Conflict => {
                let Some(orphan) = self.metadata(&staged).await? else {
                    return Err(e);
                };
                self.write(&staged, value, orphan.current).await?;
            }
            Err(e) => return Err(e),
        }
        let mut changes = Map::new();
        changes.insert(PENDING_TOKEN.to_owned(), text(token));
        changes.insert(PENDING_AT.to_owned(), text(now_stamp()));
        changes.insert(PENDING_BASE.to_owned(), text(meta.current.to_string()));
        for (key, note) in annotations {
            changes.insert(format!("{PENDING_NOTE}{key}"), text(note));
        }
        self.patch_custom(path, changes).await?;
        Ok(version)
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        self.promote_with(path, version, Promotion::default()).await
    }

    /// One metadata read, the write, one metadata PATCH (with the tags) and
    /// the staged copy's deletion; the staged value is read back only when
    /// the caller does not hold it.
    async fn promote_with(
        &self,
        path: &str,
        version: &VersionId,
        promotion: Promotion<'_>,
    ) -> Result<(), PluginError> {
        let meta = self.existing(path).await?;
        let mut changes: Map<String, Value> = promotion
            .tags
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect();
        let Some(token) = Self::token_of(version) else {
            // A numbered version: it must already be current.
            if meta.current.to_string() != version.0 {
                return Err(PluginError::permanent(format!(
                    "only a pending version can be promoted, not {version}"
                )));
            }
            return self.patch_custom(path, changes).await;
        };
        if meta.pending_token() != Some(token) {
            if meta.custom.get(PROMOTED).map(String::as_str) != Some(token) {
                return Err(PluginError::not_found(format!(
                    "pending version {version} of {path}"
                )));
            }
            // Promoted before a crash: only the tags and the staged copy may be left.
            self.patch_custom(path, changes).await?;
            return self.delete_staged(path, token).await;
        }
        let staged_value;
        let value = match promotion.value {
            Some(value) => value,
            None => {
                let staged = self.staged(path, token);
                staged_value = from_map(self.read_map(&staged, None).await?);
                &staged_value
            }
        };
        let base = meta
            .custom
            .get(PENDING_BASE)
            .and_then(|v| v.parse().ok())
            .unwrap_or(meta.current);
        let previous = if meta.current == base {
            self.write(path, value, base).await?;
            base
        } else {
            // Written since staging: by this promotion before a crash (the
            // value is the staged one), or by someone else. Their value is
            // kept in history as the previous version; the tested one goes
            // on top, with check-and-set on theirs.
            let current = from_map(self.read_map(path, Some(meta.current)).await?);
            if current.ct_eq(value) {
                meta.current.saturating_sub(1)
            } else {
                self.write(path, value, meta.current).await?;
                meta.current
            }
        };
        changes.insert(PREVIOUS.to_owned(), text(previous.to_string()));
        changes.insert(PROMOTED.to_owned(), text(token));
        changes.insert("tenure_rotated_at".to_owned(), text(now_stamp()));
        if let Some(reason) = meta.custom.get(&format!("{PENDING_NOTE}reason")) {
            changes.insert("tenure_reason".to_owned(), text(reason));
        }
        meta.clear_pending(&mut changes);
        self.patch_custom(path, changes).await?;
        self.delete_staged(path, token).await
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let Some(token) = Self::token_of(version) else {
            return Ok(());
        };
        self.delete_staged(path, token).await?;
        let Some(meta) = self.metadata(path).await? else {
            return Ok(());
        };
        if meta.pending_token() != Some(token) {
            return Ok(());
        }
        let mut changes = Map::new();
        meta.clear_pending(&mut changes);
        self.patch_custom(path, changes).await
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
        let meta = self.existing(path).await?;
        let mut changes = Map::new();
        changes.insert(DISABLED.to_owned(), text((!enabled).to_string()));
        self.patch_custom(path, changes).await?;
        let session = self.session.client().await?;
        let client = session.as_ref();
        let result = if enabled {
            kv2::undelete_versions(client, &self.config.mount, path, vec![meta.current]).await
        } else {
            kv2::delete_latest(client, &self.config.mount, path).await
        };
        result.map_err(|e| error(&format!("set enabled={enabled} on {path}"), e))
    }

    /// The latest KV version read directly, as a consumer reads it: the
    /// `tenure_disabled` flag is Tenure's own bookkeeping, and someone may
    /// have undeleted the version behind it.
    async fn consumer_read(&self, path: &str) -> Result<ConsumerRead, PluginError> {
        match self.read_map(path, None).await {
            Ok(_) => Ok(ConsumerRead::Served),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(ConsumerRead::Refused(
                "KV serves no latest version (deleted or destroyed: 404)".to_owned(),
            )),
            Err(e) if e.kind() == ErrorKind::Retryable => Err(e),
            Err(e) => Ok(ConsumerRead::Refused(format!(
                "KV refused the read ({})",
                e.kind()
            ))),
        }
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
        let changes = tags.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        self.patch_custom(path, changes).await
    }
}
