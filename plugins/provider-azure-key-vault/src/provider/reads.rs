//! [`Reads`]: the current stage read as a consumer reads it (the newest
//! version), previous and pending through the secret's state, and a version
//! by id.

use tenure_plugin_api::{PluginError, Reads, SecretValue, Stage, VersionId, async_trait};

use super::AzureKeyVaultProvider;
use crate::convert::name_of;

#[async_trait]
impl Reads for AzureKeyVaultProvider {
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
}
