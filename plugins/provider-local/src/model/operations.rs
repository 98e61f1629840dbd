//! What the provider does to the document, by path: describe, list and
//! read; put, stage, promote, discard and retire versions; enable and tag.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tenure_plugin_api::{SecretMetadata, SecretValue, Stage, VersionId, VersionInfo};

use super::{Document, Entry, ModelError, Version};

fn not_found(path: &str) -> ModelError {
    ModelError::NotFound(format!("secret {path}"))
}

impl Document {
    fn entry(&self, path: &str) -> Result<&Entry, ModelError> {
        self.secrets.get(path).ok_or_else(|| not_found(path))
    }

    fn entry_mut(&mut self, path: &str) -> Result<&mut Entry, ModelError> {
        self.secrets.get_mut(path).ok_or_else(|| not_found(path))
    }

    fn readable(&self, path: &str) -> Result<&Entry, ModelError> {
        let entry = self.entry(path)?;
        if !entry.enabled {
            return Err(ModelError::Disabled(path.to_owned()));
        }
        Ok(entry)
    }

    /// Metadata of one secret.
    pub fn describe(&self, path: &str) -> Result<SecretMetadata, ModelError> {
        let entry = self.entry(path)?;
        Ok(SecretMetadata {
            path: path.to_owned(),
            versions: entry
                .versions
                .iter()
                .map(|v| VersionInfo {
                    id: VersionId(v.id.to_string()),
                    created_at: v.created_at,
                    stages: v.stages.clone(),
                    token: v.token.clone(),
                    readable: v.value.is_some(),
                })
                .collect(),
            tags: entry.tags.clone(),
            enabled: entry.enabled,
            expires_at: None,
        })
    }

    /// Metadata of every secret, by path.
    pub fn list(&self) -> Vec<SecretMetadata> {
        self.secrets
            .keys()
            .filter_map(|path| self.describe(path).ok())
            .collect()
    }

    /// The value carrying `stage`.
    pub fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, ModelError> {
        let entry = self.readable(path)?;
        entry
            .with_stage(stage)
            .and_then(|v| v.value.clone())
            .ok_or_else(|| ModelError::NotFound(format!("{} version of {path}", stage.as_str())))
    }

    /// One version's value.
    pub fn read_version(&self, path: &str, id: &VersionId) -> Result<SecretValue, ModelError> {
        let entry = self.readable(path)?;
        entry
            .index_of(id)
            .and_then(|i| entry.versions[i].value.clone())
            .ok_or_else(|| ModelError::NotFound(format!("version {id} of {path}")))
    }

    /// Adds a version that becomes current at once (creating the secret if needed).
    pub fn put_current(
        &mut self,
        path: &str,
        value: SecretValue,
        tags: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> VersionId {
        let entry = self
            .secrets
            .entry(path.to_owned())
            .or_insert_with(Entry::new);
        entry
            .tags
            .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        let id = entry.next_version;
        entry.push(Version {
            id,
            created_at: now,
            stages: Vec::new(),
            token: None,
            annotations: BTreeMap::new(),
            value: Some(value),
        });
        let index = entry.versions.len() - 1;
        entry.make_current(index);
        VersionId(id.to_string())
    }

    /// Stages a pending version, idempotent by `token`.
    pub fn stage_pending(
        &mut self,
        path: &str,
        token: &str,
        value: SecretValue,
        annotations: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<VersionId, ModelError> {
        let entry = self.entry_mut(path)?;
        if let Some(pending) = entry.with_stage(Stage::Pending) {
            return if pending.token.as_deref() == Some(token) {
                Ok(VersionId(pending.id.to_string()))
            } else {
                Err(ModelError::Conflict(format!(
                    "{path} already has pending version {} from another rotation",
                    pending.id
                )))
            };
        }
        let id = entry.next_version;
        entry.push(Version {
            id,
            created_at: now,
            stages: vec![Stage::Pending],
            token: Some(token.to_owned()),
            annotations: annotations.clone(),
            value: Some(value),
        });
        Ok(VersionId(id.to_string()))
    }

    /// Makes a version current. Already current is success.
    pub fn promote(&mut self, path: &str, id: &VersionId) -> Result<(), ModelError> {
        let entry = self.entry_mut(path)?;
        let index = entry
            .index_of(id)
            .ok_or_else(|| ModelError::NotFound(format!("version {id} of {path}")))?;
        let version = &entry.versions[index];
        if version.has(Stage::Current) {
            return Ok(());
        }
        if version.value.is_none() {
            return Err(ModelError::Conflict(format!(
                "version {id} of {path} was retired"
            )));
        }
        entry.make_current(index);
        Ok(())
    }

    /// Removes a pending version. Already gone is success.
    pub fn discard_pending(&mut self, path: &str, id: &VersionId) -> Result<(), ModelError> {
        let entry = self.entry_mut(path)?;
        if let Some(index) = entry.index_of(id)
            && entry.versions[index].has(Stage::Pending)
        {
            entry.versions.remove(index);
        }
        Ok(())
    }

    /// Destroys a version's value. The current version cannot be retired.
    pub fn retire(&mut self, path: &str, id: &VersionId) -> Result<(), ModelError> {
        let entry = self.entry_mut(path)?;
        let Some(index) = entry.index_of(id) else {
            return Ok(());
        };
        let version = &mut entry.versions[index];
        if version.has(Stage::Current) {
            return Err(ModelError::Conflict(format!(
                "version {id} of {path} is current and cannot be retired"
            )));
        }
        version.stages.clear();
        version.value = None;
        Ok(())
    }

    /// Enables or disables a secret.
    pub fn set_enabled(&mut self, path: &str, enabled: bool) -> Result<(), ModelError> {
        self.entry_mut(path)?.enabled = enabled;
        Ok(())
    }

    /// Merges tags.
    pub fn set_tags(
        &mut self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ModelError> {
        let entry = self.entry_mut(path)?;
        entry
            .tags
            .extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(())
    }
}
