//! [`Catalog`]: the paged secret list read as an inventory, each secret's
//! versions fetched a few at a time, and one secret's metadata.

use futures_util::{StreamExt, TryStreamExt, stream};
use tenure_plugin_api::{Catalog, PluginError, SecretMetadata, async_trait};

use super::AzureKeyVaultProvider;
use crate::convert::name_of;
use crate::model::{Inventory, SecretState};

/// How many secrets' versions the inventory fetches at once.
const INVENTORY_CONCURRENCY: usize = 8;

#[async_trait]
impl Catalog for AzureKeyVaultProvider {
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
}

impl AzureKeyVaultProvider {
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
}
