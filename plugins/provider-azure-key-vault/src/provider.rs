//! [`AzureKeyVaultProvider`]: the [`Provider`] trait over Key Vault, each
//! operation asking the [`model`](crate::model) what the secret's state
//! means and what to write, and the [`client`](crate::client) to do it
//! (the representation is described in the crate documentation).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};
use tenure_plugin_api::{
    ErrorKind, PluginError, Provider, ProviderCapabilities, SecretMetadata, SecretValue, Stage,
    VaultEvents, VersionId, async_trait,
};

use crate::client::KeyVaultClient;
use crate::config::{AzureKeyVaultConfig, check_url, vault_matches};
use crate::convert::{name_of, path_of};
use crate::credential::{BuildError, client_options_of, credential_of};
use crate::model::{
    Inventory, NewVersion, Promotion, Retirement, SecretState, StagingError, Version, check_token,
    merged_tags,
};

/// How many secrets' versions the inventory fetches at once.
const INVENTORY_CONCURRENCY: usize = 8;

/// The Azure Key Vault provider.
pub struct AzureKeyVaultProvider {
    name: String,
    vault_url: String,
    client: KeyVaultClient,
    expires_after: Option<Duration>,
}

impl std::fmt::Debug for AzureKeyVaultProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureKeyVaultProvider")
            .field("name", &self.name)
            .field("vault_url", &self.vault_url)
            .finish_non_exhaustive()
    }
}

impl AzureKeyVaultProvider {
    /// A provider named `name`: resolves the vault URL and the credential
    /// the config names. Touches no network (tokens are fetched on first use).
    pub fn new(name: impl Into<String>, config: &AzureKeyVaultConfig) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError::Config)?;
        let credential = credential_of(config)?;
        Self::with_credential(name, config, credential, client_options_of(config))
    }

    /// A provider over a credential and client options built by the caller:
    /// tests use it to give the SDK an HTTP client that trusts a local
    /// stand-in's certificate and resolves the vault's host to it, and a
    /// `ClientSecretCredential` pointed at the stand-in's token endpoint.
    pub fn with_credential(
        name: impl Into<String>,
        config: &AzureKeyVaultConfig,
        credential: Arc<dyn TokenCredential>,
        client_options: ClientOptions,
    ) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError::Config)?;
        let vault_url = config.vault_url.resolve()?;
        check_url(&vault_url).map_err(BuildError::Config)?;
        let client = KeyVaultClient::new(&vault_url, credential, client_options, config)?;
        Ok(Self {
            name: name.into(),
            vault_url,
            client,
            expires_after: config.expires_after,
        })
    }

    /// The metadata of one inventoried secret; `None` when it was deleted
    /// after the listing.
    async fn inventoried(
        &self,
        name: &str,
        path: &str,
        staged: bool,
    ) -> Result<Option<SecretMetadata>, PluginError> {
        let versions = self.client.versions(path, name).await?;
        if versions.is_empty() {
            return Ok(None);
        }
        let pending = if staged {
            self.client.pending_of(name).await?
        } else {
            None
        };
        Ok(Some(SecretState::new(versions, pending).metadata(path)))
    }

    /// Writes the value of `source` (a staged or an older version) as the
    /// new current version.
    async fn write_promoted(
        &self,
        path: &str,
        name: &str,
        state: &SecretState,
        source: &Version,
        value: &SecretValue,
    ) -> Result<(), PluginError> {
        let current = state.current();
        let new = NewVersion::promoted(current, source, Utc::now(), self.expires_after);
        let id = self.client.write(path, name, value, new).await?;
        tracing::debug!(secret = %path, version = %id, replaced = ?current.map(|v| &v.id), "Promoted a new version.");
        Ok(())
    }
}

/// A staging refusal as a plugin error naming the secret.
fn staging_error(path: &str, err: StagingError) -> PluginError {
    match err {
        StagingError::BadToken => PluginError::permanent(err.to_string()),
        StagingError::OtherRun { .. } => PluginError::conflict(format!("{path} {err}")),
    }
}

/// The state of the secret at `path`, `None` when it does not exist.
fn existing(state: Result<SecretState, PluginError>) -> Result<Option<SecretState>, PluginError> {
    match state {
        Ok(state) => Ok(Some(state)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Provider for AzureKeyVaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }

    fn vault_events(&self) -> Option<&dyn VaultEvents> {
        Some(self)
    }

    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        let inventory = Inventory::of(self.client.list_secrets().await?);
        for name in &inventory.unmapped {
            tracing::debug!(name, "Skipped a secret whose name no Tenure path maps to.");
        }
        let staged = &inventory.staged;
        stream::iter(inventory.secrets)
            .map(|(name, path)| async move {
                self.inventoried(&name, &path, staged.contains(&name)).await
            })
            .buffered(INVENTORY_CONCURRENCY)
            .try_filter_map(|m| async move { Ok(m) })
            .try_collect()
            .await
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        let name = name_of(path)?;
        Ok(self.client.state(path, &name).await?.metadata(path))
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        let name = name_of(path)?;
        let version = match stage {
            // What a consumer reads: the newest version, refused when disabled.
            Stage::Current => return self.client.read_latest(path, &name).await,
            Stage::Previous => {
                let state = self.client.state(path, &name).await?;
                state.previous().map(|v| v.id.clone()).ok_or_else(|| {
                    PluginError::not_found(format!("{path} has no previous version"))
                })?
            }
            Stage::Pending => {
                let pending = self.client.pending_of(&name).await?;
                pending.map(|v| v.id).ok_or_else(|| {
                    PluginError::not_found(format!("{path} has no pending version"))
                })?
            }
        };
        self.client.read_version(path, &name, &version).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        let name = name_of(path)?;
        self.client.read_version(path, &name, &version.0).await
    }

    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let name = name_of(path)?;
        let state = existing(self.client.state(path, &name).await)?;
        let current = state.as_ref().and_then(SecretState::current);
        let new = NewVersion::replacing(current, tags, Utc::now(), self.expires_after);
        let id = self.client.write(path, &name, value, new).await?;
        Ok(VersionId(id))
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let name = name_of(path)?;
        check_token(token).map_err(|e| staging_error(path, e))?;
        let state = self.client.state(path, &name).await?;
        if let Some(staged) = state.staged_by(token).map_err(|e| staging_error(path, e))? {
            return Ok(VersionId(staged.id.clone()));
        }
        let new = NewVersion::staged(state.current(), token, annotations);
        let id = self.client.write_staged(path, &name, value, new).await?;
        tracing::debug!(secret = %path, version = %id, "Staged a pending version.");
        Ok(VersionId(id))
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.client.state(path, &name).await?;
        match state.promotion(&version.0) {
            Promotion::AlreadyCurrent => Ok(()),
            Promotion::FinishCleanup => self.client.disable_staged(path, &name, &version.0).await,
            Promotion::Staged(pending) => {
                let value = self.client.read_staged(path, &name, &pending.id).await?;
                self.write_promoted(path, &name, &state, pending, &value)
                    .await?;
                self.client.disable_staged(path, &name, &pending.id).await
            }
            Promotion::Older(older) => {
                let value = self.client.read_own(path, &name, &older.id).await?;
                self.write_promoted(path, &name, &state, older, &value)
                    .await
            }
            Promotion::Unknown => Err(PluginError::not_found(format!(
                "version {version} of {path}"
            ))),
        }
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        match self.client.pending_of(&name).await? {
            Some(pending) if pending.id == version.0 => {
                self.client.disable_staged(path, &name, &pending.id).await
            }
            _ => Ok(()),
        }
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let Some(state) = existing(self.client.state(path, &name).await)? else {
            return Ok(());
        };
        match state.retirement(&version.0) {
            Retirement::RefuseCurrent => Err(PluginError::conflict(format!(
                "version {version} of {path} is current and cannot be retired"
            ))),
            Retirement::Disable(id) => {
                self.client
                    .set_version_enabled(path, &name, id, false)
                    .await
            }
            Retirement::DisableStaged(id) => self.client.disable_staged(path, &name, id).await,
            Retirement::Nothing => Ok(()),
        }
    }

    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.client.state(path, &name).await?;
        let Some(current) = state.current() else {
            return Err(PluginError::not_found(format!("secret {path}")));
        };
        if current.enabled == enabled {
            return Ok(());
        }
        self.client
            .set_version_enabled(path, &name, &current.id, enabled)
            .await
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.client.state(path, &name).await?;
        let Some(current) = state.current() else {
            return Err(PluginError::not_found(format!("secret {path}")));
        };
        match merged_tags(current, tags) {
            Some(merged) => {
                self.client
                    .set_version_tags(path, &name, &current.id, merged)
                    .await
            }
            None => Ok(()),
        }
    }
}

impl VaultEvents for AzureKeyVaultProvider {
    fn path_for_event(&self, vault: &str, name: &str) -> Option<String> {
        vault_matches(&self.vault_url, vault)
            .then(|| path_of(name))
            .flatten()
    }
}
