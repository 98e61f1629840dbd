//! KV v2 calls: a secret's metadata ([`Meta`]), merging its custom
//! metadata, reading and writing values (with check-and-set), and where a
//! staged value lives.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{Map, Value};
use tenure_plugin_api::{PluginError, SecretValue, VersionId};
use vaultrs::api::kv2::requests::SetSecretRequestOptions;
use vaultrs::kv2;

use super::{PENDING, PENDING_TOKEN, VaultProvider};
use crate::convert::{error, is_not_found, time, to_map};
use crate::raw;

pub(super) struct Meta {
    pub(super) current: u64,
    pub(super) versions: Vec<(u64, Option<chrono::DateTime<Utc>>, bool)>,
    pub(super) custom: HashMap<String, String>,
}

impl Meta {
    /// The token of the staged version, if one is staged.
    pub(super) fn pending_token(&self) -> Option<&str> {
        self.custom
            .get(PENDING_TOKEN)
            .map(String::as_str)
            .filter(|t| !t.is_empty())
    }

    /// Adds to `changes` the removal of every pending key (they all start
    /// with `tenure_pending`).
    pub(super) fn clear_pending(&self, changes: &mut Map<String, Value>) {
        for key in self.custom.keys().filter(|k| k.starts_with(PENDING_TOKEN)) {
            changes.insert(key.clone(), Value::Null);
        }
    }
}

impl VaultProvider {
    /// Where the value staged by `token` for `path` lives.
    pub(super) fn staged(&self, path: &str, token: &str) -> String {
        format!("{}/{path}/{token}", self.config.staging)
    }

    pub(super) async fn metadata(&self, path: &str) -> Result<Option<Meta>, PluginError> {
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
    pub(super) async fn patch_custom(
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

    pub(super) async fn delete_staged(&self, path: &str, token: &str) -> Result<(), PluginError> {
        let session = self.session.client().await?;
        let staged = self.staged(path, token);
        match kv2::delete_metadata(session.as_ref(), &self.config.mount, &staged).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(error(&format!("delete the staged version of {path}"), e)),
        }
    }

    pub(super) async fn read_map(
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

    pub(super) async fn write(
        &self,
        path: &str,
        value: &SecretValue,
        cas: u64,
    ) -> Result<u64, PluginError> {
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

    pub(super) async fn existing(&self, path: &str) -> Result<Meta, PluginError> {
        self.metadata(path)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("secret {path}")))
    }

    pub(super) fn token_of(version: &VersionId) -> Option<&str> {
        version.0.strip_prefix(PENDING)
    }
}
