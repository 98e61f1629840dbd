//! [`Catalog`]: every secret under the prefix (the staging folder left
//! out), and one secret's metadata with its pending version, from one
//! metadata read.

use chrono::Utc;
use tenure_plugin_api::{
    Catalog, ErrorKind, PluginError, SecretMetadata, Stage, VersionId, VersionInfo, async_trait,
};
use vaultrs::kv2;

use super::kv::Meta;
use super::{DISABLED, PENDING, PENDING_AT, PREVIOUS, VaultProvider};
use crate::convert::{error, is_not_found, time};

#[async_trait]
impl Catalog for VaultProvider {
    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        let mut paths = Vec::new();
        let root = self.config.prefix.clone().unwrap_or_default();
        self.list_folder(root.trim_matches('/'), &mut paths).await?;
        let mut all = Vec::with_capacity(paths.len());
        for path in paths {
            match self.describe(&path).await {
                Ok(meta) => all.push(meta),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(all)
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        let meta = self.existing(path).await?;
        Ok(Self::to_metadata(path, &meta))
    }
}

impl VaultProvider {
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
