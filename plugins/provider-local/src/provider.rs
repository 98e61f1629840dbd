//! [`LocalVault`]: the vault file opened, and the provider traits over it
//! ([`Provider`] and its jobs: [`Catalog`], [`Reads`], [`Writes`],
//! [`Attributes`]), each a read of the document or a change to it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use tenure_plugin_api::{
    Attributes, Catalog, PluginError, Provider, ProviderCapabilities, ProviderInfo, Reads,
    SecretMetadata, SecretSource, SecretValue, Stage, VersionId, Writes, async_trait,
    debug_provider,
};

use crate::LocalConfig;
use crate::error::LocalError;
use crate::file::{VaultFile, load_key};
use crate::model::Document;
use crate::seed;

/// The embedded local vault.
#[derive(Clone)]
pub struct LocalVault {
    name: String,
    file: Arc<VaultFile>,
}

impl std::fmt::Debug for LocalVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_provider(f, "LocalVault", &self.name, ("path", &self.file.path()))
    }
}

impl LocalVault {
    /// Opens the vault, creating the key file and (with its seed) the vault file when missing.
    pub fn open(name: &str, config: &LocalConfig) -> Result<Self, LocalError> {
        let source = config.key.clone().unwrap_or_else(|| {
            let mut key = config.path.as_os_str().to_owned();
            key.push(".key");
            SecretSource::File(key.into())
        });
        let key = load_key(&source)?;
        let file = VaultFile::new(config.path.clone(), &key);
        if !file.exists() {
            let created = file.create_if_missing(|doc| {
                if let Some(seed_path) = &config.seed {
                    let count = seed::apply(seed_path, doc, Utc::now())?;
                    tracing::info!(provider = %name, secrets = count, "Seeded the new local vault.");
                }
                Ok(())
            })?;
            if created {
                tracing::info!(provider = %name, path = %config.path.display(), "Created the local vault.");
            }
        }
        // Fail now, not on first use, when the key does not open the file.
        file.read()?;
        Ok(Self {
            name: name.to_owned(),
            file: Arc::new(file),
        })
    }

    /// Paths of all secrets, sorted.
    pub fn paths(&self) -> Result<Vec<String>, LocalError> {
        Ok(self
            .file
            .read()?
            .map(|doc| doc.secrets.keys().cloned().collect())
            .unwrap_or_default())
    }

    async fn with_doc<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Document) -> Result<T, LocalError> + Send + 'static,
    ) -> Result<T, PluginError> {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || f(&file.read()?.unwrap_or_default()))
            .await
            .map_err(|_| LocalError::Task)?
            .map_err(PluginError::from)
    }

    async fn change<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Document) -> Result<T, LocalError> + Send + 'static,
    ) -> Result<T, PluginError> {
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || file.update(f))
            .await
            .map_err(|_| LocalError::Task)?
            .map_err(PluginError::from)
    }
}

impl ProviderInfo for LocalVault {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }
}

/// No vendor-only hooks.
impl Provider for LocalVault {}

#[async_trait]
impl Catalog for LocalVault {
    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        self.with_doc(|doc| Ok(doc.list())).await
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        let path = path.to_owned();
        self.with_doc(move |doc| Ok(doc.describe(&path)?)).await
    }
}

#[async_trait]
impl Reads for LocalVault {
    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        let path = path.to_owned();
        self.with_doc(move |doc| Ok(doc.read(&path, stage)?)).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        let (path, version) = (path.to_owned(), version.clone());
        self.with_doc(move |doc| Ok(doc.read_version(&path, &version)?))
            .await
    }
}

#[async_trait]
impl Writes for LocalVault {
    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        if tenure_plugin_api::SecretAddress::new(&self.name, path).is_err() {
            return Err(PluginError::permanent(format!("invalid path {path:?}")));
        }
        let (path, value, tags) = (path.to_owned(), value.clone(), tags.clone());
        let id = self
            .change(move |doc| Ok(doc.put_current(&path, value, &tags, Utc::now())))
            .await?;
        tracing::debug!(provider = %self.name, version = %id, "Stored a new current version.");
        Ok(id)
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let (p, token, value, notes) = (
            path.to_owned(),
            token.to_owned(),
            value.clone(),
            annotations.clone(),
        );
        let id = self
            .change(move |doc| Ok(doc.stage_pending(&p, &token, value, &notes, Utc::now())?))
            .await?;
        tracing::debug!(provider = %self.name, path = %path, version = %id, "Staged a pending version.");
        Ok(id)
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let (p, v) = (path.to_owned(), version.clone());
        self.change(move |doc| Ok(doc.promote(&p, &v)?)).await?;
        tracing::debug!(provider = %self.name, path = %path, version = %version, "Promoted a version.");
        Ok(())
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let (p, v) = (path.to_owned(), version.clone());
        self.change(move |doc| Ok(doc.discard_pending(&p, &v)?))
            .await
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let (p, v) = (path.to_owned(), version.clone());
        self.change(move |doc| Ok(doc.retire(&p, &v)?)).await
    }
}

#[async_trait]
impl Attributes for LocalVault {
    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        let p = path.to_owned();
        self.change(move |doc| Ok(doc.set_enabled(&p, enabled)?))
            .await
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let (p, t) = (path.to_owned(), tags.clone());
        self.change(move |doc| Ok(doc.set_tags(&p, &t)?)).await
    }
}
