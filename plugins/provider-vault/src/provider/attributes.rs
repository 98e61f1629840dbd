//! [`Attributes`]: disabling (`tenure_disabled` set and the latest version
//! soft-deleted, undeleted to enable again) and tags (custom metadata keys
//! merged).

use std::collections::BTreeMap;

use serde_json::Map;
use tenure_plugin_api::{Attributes, PluginError, async_trait};
use vaultrs::kv2;

use super::{DISABLED, VaultProvider, text};
use crate::convert::error;

#[async_trait]
impl Attributes for VaultProvider {
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

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let changes = tags.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        self.patch_custom(path, changes).await
    }
}
