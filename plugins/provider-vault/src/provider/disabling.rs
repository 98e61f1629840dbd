//! Disabling: `tenure_disabled` set and the latest version soft-deleted
//! (undeleted to enable again), and a read as a consumer makes it, to see
//! whether a disabled secret is still served.

use serde_json::Map;
use tenure_plugin_api::{ConsumerRead, ErrorKind, PluginError};
use vaultrs::kv2;

use super::{DISABLED, VaultProvider, text};
use crate::convert::error;

impl VaultProvider {
    /// [`Provider::set_enabled`](tenure_plugin_api::Provider::set_enabled).
    pub(super) async fn set_secret_enabled(
        &self,
        path: &str,
        enabled: bool,
    ) -> Result<(), PluginError> {
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
    pub(super) async fn read_as_consumer(&self, path: &str) -> Result<ConsumerRead, PluginError> {
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
}
