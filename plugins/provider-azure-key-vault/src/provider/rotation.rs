//! [`Writes`]: the current value written, a pending version staged in the
//! staging secret, promoted by writing its value as a new version of the
//! secret, discarded or retired by disabling it.

use std::collections::BTreeMap;

use chrono::Utc;
use tenure_plugin_api::{PluginError, SecretValue, VersionId, Writes, async_trait};

use super::{AzureKeyVaultProvider, existing};
use crate::convert::name_of;
use crate::model::{
    NewVersion, Promotion, Retirement, SecretState, StagingError, Version, check_token,
};

#[async_trait]
impl Writes for AzureKeyVaultProvider {
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
}

impl AzureKeyVaultProvider {
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
