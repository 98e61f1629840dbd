//! [`Writes`]: the current value written, a pending value staged
//! (the value first, then the pointer to it in the secret's custom
//! metadata), promoted with check-and-set, discarded, and the previous
//! version retired (destroyed).

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::{Map, Value};
use tenure_plugin_api::{
    ErrorKind, PluginError, Promotion, SecretValue, VersionId, Writes, async_trait,
};
use vaultrs::kv2;

use super::{
    PENDING, PENDING_AT, PENDING_BASE, PENDING_NOTE, PENDING_TOKEN, PREVIOUS, PROMOTED,
    VaultProvider, text,
};
use crate::convert::{error, from_map};

fn now_stamp() -> String {
    tenure_plugin_api::stamp(Utc::now())
}

#[async_trait]
impl Writes for VaultProvider {
    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let current = self.metadata(path).await?.map_or(0, |m| m.current);
        let written = self.write(path, value, current).await?;
        let mut changes: Map<String, Value> =
            tags.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        if current > 0 {
            changes.insert(PREVIOUS.to_owned(), text(current.to_string()));
        }
        self.patch_custom(path, changes).await?;
        Ok(VersionId(written.to_string()))
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        if token.is_empty() || token.contains('/') {
            return Err(PluginError::permanent(
                "a staging token must be non-empty and contain no '/'",
            ));
        }
        let version = VersionId(format!("{PENDING}{token}"));
        let meta = self.existing(path).await?;
        match meta.pending_token() {
            Some(staged) if staged == token => return Ok(version),
            Some(other) => {
                return Err(PluginError::conflict(format!(
                    "{path} already has a pending version from rotation {other}"
                )));
            }
            None => {}
        }
        // The value first, then the pointer to it: a crash in between leaves
        // a copy nothing points to, which a retry with this token replaces.
        let staged = self.staged(path, token);
        match self.write(&staged, value, 0).await {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Conflict => {
                let Some(orphan) = self.metadata(&staged).await? else {
                    return Err(e);
                };
                self.write(&staged, value, orphan.current).await?;
            }
            Err(e) => return Err(e),
        }
        let mut changes = Map::new();
        changes.insert(PENDING_TOKEN.to_owned(), text(token));
        changes.insert(PENDING_AT.to_owned(), text(now_stamp()));
        changes.insert(PENDING_BASE.to_owned(), text(meta.current.to_string()));
        for (key, note) in annotations {
            changes.insert(format!("{PENDING_NOTE}{key}"), text(note));
        }
        self.patch_custom(path, changes).await?;
        Ok(version)
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        self.promote_with(path, version, Promotion::default()).await
    }

    /// One metadata read, the write, one metadata PATCH (with the tags) and
    /// the staged copy's deletion; the staged value is read back only when
    /// the caller does not hold it.
    async fn promote_with(
        &self,
        path: &str,
        version: &VersionId,
        promotion: Promotion<'_>,
    ) -> Result<(), PluginError> {
        let meta = self.existing(path).await?;
        let mut changes: Map<String, Value> = promotion
            .tags
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect();
        let Some(token) = Self::token_of(version) else {
            // A numbered version: it must already be current.
            if meta.current.to_string() != version.0 {
                return Err(PluginError::permanent(format!(
                    "only a pending version can be promoted, not {version}"
                )));
            }
            return self.patch_custom(path, changes).await;
        };
        if meta.pending_token() != Some(token) {
            if meta.custom.get(PROMOTED).map(String::as_str) != Some(token) {
                return Err(PluginError::not_found(format!(
                    "pending version {version} of {path}"
                )));
            }
            // Promoted before a crash: only the tags and the staged copy may be left.
            self.patch_custom(path, changes).await?;
            return self.delete_staged(path, token).await;
        }
        let staged_value;
        let value = match promotion.value {
            Some(value) => value,
            None => {
                let staged = self.staged(path, token);
                staged_value = from_map(self.read_map(&staged, None).await?);
                &staged_value
            }
        };
        let base = meta
            .custom
            .get(PENDING_BASE)
            .and_then(|v| v.parse().ok())
            .unwrap_or(meta.current);
        let previous = if meta.current == base {
            self.write(path, value, base).await?;
            base
        } else {
            // Written since staging: by this promotion before a crash (the
            // value is the staged one), or by someone else. Their value is
            // kept in history as the previous version; the tested one goes
            // on top, with check-and-set on theirs.
            let current = from_map(self.read_map(path, Some(meta.current)).await?);
            if current.ct_eq(value) {
                meta.current.saturating_sub(1)
            } else {
                self.write(path, value, meta.current).await?;
                meta.current
            }
        };
        changes.insert(PREVIOUS.to_owned(), text(previous.to_string()));
        changes.insert(PROMOTED.to_owned(), text(token));
        changes.insert("tenure_rotated_at".to_owned(), text(now_stamp()));
        if let Some(reason) = meta.custom.get(&format!("{PENDING_NOTE}reason")) {
            changes.insert("tenure_reason".to_owned(), text(reason));
        }
        meta.clear_pending(&mut changes);
        self.patch_custom(path, changes).await?;
        self.delete_staged(path, token).await
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let Some(token) = Self::token_of(version) else {
            return Ok(());
        };
        self.delete_staged(path, token).await?;
        let Some(meta) = self.metadata(path).await? else {
            return Ok(());
        };
        if meta.pending_token() != Some(token) {
            return Ok(());
        }
        let mut changes = Map::new();
        meta.clear_pending(&mut changes);
        self.patch_custom(path, changes).await
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        if Self::token_of(version).is_some() {
            return self.discard_pending(path, version).await;
        }
        let Ok(n) = version.0.parse::<u64>() else {
            return Ok(());
        };
        let Some(meta) = self.metadata(path).await? else {
            return Ok(());
        };
        if meta.current == n {
            return Err(PluginError::conflict(format!(
                "version {n} of {path} is current and cannot be retired"
            )));
        }
        let session = self.session.client().await?;
        let client = session.as_ref();
        kv2::destroy_versions(client, &self.config.mount, path, vec![n])
            .await
            .map_err(|e| error(&format!("destroy version {n} of {path}"), e))
    }
}
