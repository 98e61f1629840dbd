//! [`Attributes`]: enabling and disabling the current version (a disabled
//! newest version is refused to every consumer), and merging tags into it.

use std::collections::BTreeMap;

use tenure_plugin_api::{Attributes, PluginError, async_trait};

use super::AzureKeyVaultProvider;
use crate::convert::name_of;
use crate::model::{Version, merged_tags};

#[async_trait]
impl Attributes for AzureKeyVaultProvider {
    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        let (name, current) = self.current_version(path).await?;
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
        let (name, current) = self.current_version(path).await?;
        match merged_tags(&current, tags) {
            Some(merged) => {
                self.client
                    .set_version_tags(path, &name, &current.id, merged)
                    .await
            }
            None => Ok(()),
        }
    }
}

impl AzureKeyVaultProvider {
    /// The Key Vault name of `path` and its current version, which holds
    /// the secret's attributes; a secret without one is not found.
    async fn current_version(&self, path: &str) -> Result<(String, Version), PluginError> {
        let name = name_of(path)?;
        let state = self.client.state(path, &name).await?;
        let current = state
            .current()
            .cloned()
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))?;
        Ok((name, current))
    }
}
