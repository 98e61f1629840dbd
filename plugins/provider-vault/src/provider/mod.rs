//! [`VaultProvider`]: the struct and its construction, the custom metadata
//! keys Tenure keeps, and the [`Provider`] and [`Leases`] impls, which hand
//! each method to the module for its job.

mod disabling;
mod inventory;
mod kv;
mod rotation;

use std::collections::BTreeMap;

use serde_json::Value;
use tenure_plugin_api::{
    ConsumerRead, LeaseRevocation, Leases, PluginError, Promotion, Provider, ProviderCapabilities,
    SecretMetadata, SecretValue, Stage, VersionId, async_trait,
};

use crate::config::VaultConfig;
use crate::leases;
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

/// A JSON string.
fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
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
}

#[async_trait]
impl Provider for VaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }

    fn leases(&self) -> Option<&dyn Leases> {
        Some(self)
    }

    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        self.inventory().await
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        self.describe_secret(path).await
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        self.read_stage(path, stage).await
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        self.read_version_value(path, version).await
    }

    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        self.put_current_value(path, value, tags).await
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        self.stage_pending_value(path, token, value, annotations)
            .await
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        self.promote_with(path, version, Promotion::default()).await
    }

    async fn promote_with(
        &self,
        path: &str,
        version: &VersionId,
        promotion: Promotion<'_>,
    ) -> Result<(), PluginError> {
        self.promote_staged(path, version, promotion).await
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        self.discard_pending_version(path, version).await
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        self.retire_version(path, version).await
    }

    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        self.set_secret_enabled(path, enabled).await
    }

    async fn consumer_read(&self, path: &str) -> Result<ConsumerRead, PluginError> {
        self.read_as_consumer(path).await
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

#[async_trait::async_trait]
impl Leases for VaultProvider {
    async fn revoke_leases(&self, prefix: &str) -> Result<LeaseRevocation, PluginError> {
        let session = self.session.client().await?;
        leases::revoke_prefix(session.as_ref(), prefix).await
    }
}
