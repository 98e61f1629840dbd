//! The vault document and its operations. Pure: no I/O, unit-tested.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenure_plugin_api::{SecretMetadata, SecretValue, Stage, VersionId, VersionInfo};

/// How many versions (with or without a value) a secret keeps.
const MAX_VERSIONS: usize = 20;

/// Why an operation on the document failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// No such secret or version.
    #[error("not found: {0}")]
    NotFound(String),
    /// The secret is disabled.
    #[error("secret {0} is disabled")]
    Disabled(String),
    /// The operation conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
}

mod value_serde {
    use serde::{Deserialize, Deserializer, Serializer};
    use tenure_plugin_api::SecretValue;

    pub fn serialize<S: Serializer>(value: &Option<SecretValue>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(v.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretValue>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(SecretValue::new))
    }
}

/// One version of a secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    /// Increasing per secret.
    pub id: u64,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Its stage labels.
    pub stages: Vec<Stage>,
    /// The rotation run that staged it.
    pub token: Option<String>,
    /// When and why it was written.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// The value; destroyed when the version is retired.
    #[serde(with = "value_serde")]
    pub value: Option<SecretValue>,
}

impl Version {
    fn has(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }
}

/// One secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// False once disabled.
    pub enabled: bool,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// The next version id.
    pub next_version: u64,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
}

impl Entry {
    fn new() -> Self {
        Self {
            enabled: true,
            tags: BTreeMap::new(),
            next_version: 1,
            versions: Vec::new(),
        }
    }

    fn with_stage(&self, stage: Stage) -> Option<&Version> {
        self.versions.iter().rev().find(|v| v.has(stage))
    }

    fn index_of(&self, id: &VersionId) -> Option<usize> {
        let id: u64 = id.0.parse().ok()?;
        self.versions.iter().position(|v| v.id == id)
    }

    fn push(&mut self, version: Version) {
        self.versions.push(version);
        self.next_version += 1;
        // Drop the oldest versions without a stage beyond the limit.
        while self.versions.len() > MAX_VERSIONS {
            match self.versions.iter().position(|v| v.stages.is_empty()) {
                Some(i) => {
                    self.versions.remove(i);
                }
                None => break,
            }
        }
    }

    /// Makes the version at `index` current; current → previous; previous → retired.
    fn make_current(&mut self, index: usize) {
        for v in &mut self.versions {
            if v.has(Stage::Previous) {
                v.stages.retain(|s| *s != Stage::Previous);
                if v.stages.is_empty() {
                    v.value = None;
                }
            }
        }
        for v in &mut self.versions {
            if v.has(Stage::Current) {
                v.stages.retain(|s| *s != Stage::Current);
                v.stages.push(Stage::Previous);
            }
        }
        let version = &mut self.versions[index];
        version.stages.retain(|s| *s != Stage::Pending);
        version.stages.push(Stage::Current);
    }
}

/// The whole vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// Format version.
    pub format: u32,
    /// Secrets by path.
    pub secrets: BTreeMap<String, Entry>,
}

impl Default for Document {
    fn default() -> Self {
        Self {
            format: 1,
            secrets: BTreeMap::new(),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> SecretValue {
        SecretValue::new(text.to_owned())
    }

    fn stages(doc: &Document, path: &str) -> Vec<(String, Vec<Stage>, bool)> {
        doc.secrets[path]
            .versions
            .iter()
            .map(|v| (v.id.to_string(), v.stages.clone(), v.value.is_some()))
            .collect()
    }

    #[test]
    fn put_current_moves_stages_along() {
        let mut doc = Document::default();
        let now = Utc::now();
        doc.put_current("a", value("one"), &BTreeMap::new(), now);
        doc.put_current("a", value("two"), &BTreeMap::new(), now);
        doc.put_current("a", value("three"), &BTreeMap::new(), now);
        assert_eq!(
            stages(&doc, "a"),
            vec![
                ("1".into(), vec![], false),
                ("2".into(), vec![Stage::Previous], true),
                ("3".into(), vec![Stage::Current], true),
            ]
        );
        assert_eq!(
            doc.read("a", Stage::Current).expect("read").expose(),
            "three"
        );
        assert_eq!(
            doc.read("a", Stage::Previous).expect("read").expose(),
            "two"
        );
    }

    #[test]
    fn rotation_stages_are_idempotent() {
        let mut doc = Document::default();
        let now = Utc::now();
        doc.put_current("a", value("old"), &BTreeMap::new(), now);
        let notes = BTreeMap::new();
        let id = doc
            .stage_pending("a", "run-1", value("new"), &notes, now)
            .expect("stage");
        let again = doc
            .stage_pending("a", "run-1", value("other"), &notes, now)
            .expect("stage");
        assert_eq!(id, again);
        assert_eq!(doc.read_version("a", &id).expect("read").expose(), "new");
        assert!(matches!(
            doc.stage_pending("a", "run-2", value("x"), &notes, now),
            Err(ModelError::Conflict(_))
        ));
        // Consumers reading current do not see the pending value.
        assert_eq!(doc.read("a", Stage::Current).expect("read").expose(), "old");
        doc.promote("a", &id).expect("promote");
        doc.promote("a", &id).expect("promote twice");
        assert_eq!(doc.read("a", Stage::Current).expect("read").expose(), "new");
        assert_eq!(
            doc.read("a", Stage::Previous).expect("read").expose(),
            "old"
        );
        let previous = VersionId("1".into());
        doc.retire("a", &previous).expect("retire");
        doc.retire("a", &previous).expect("retire twice");
        doc.retire("a", &VersionId("99".into()))
            .expect("retire absent");
        assert!(matches!(doc.retire("a", &id), Err(ModelError::Conflict(_))));
        assert!(doc.read("a", Stage::Previous).is_err());
    }

    #[test]
    fn discard_pending_is_idempotent() {
        let mut doc = Document::default();
        let now = Utc::now();
        doc.put_current("a", value("old"), &BTreeMap::new(), now);
        let id = doc
            .stage_pending("a", "t", value("new"), &BTreeMap::new(), now)
            .expect("stage");
        doc.discard_pending("a", &id).expect("discard");
        doc.discard_pending("a", &id).expect("discard twice");
        assert!(
            doc.describe("a")
                .expect("describe")
                .version(Stage::Pending)
                .is_none()
        );
        assert_eq!(doc.read("a", Stage::Current).expect("read").expose(), "old");
    }

    #[test]
    fn disabled_secrets_refuse_reads() {
        let mut doc = Document::default();
        doc.put_current("a", value("v"), &BTreeMap::new(), Utc::now());
        doc.set_enabled("a", false).expect("disable");
        assert!(matches!(doc.read("a", Stage::Current), Err(ModelError::Disabled(p)) if p == "a"));
        assert!(!doc.describe("a").expect("describe").enabled);
        assert!(matches!(
            doc.read("missing", Stage::Current),
            Err(ModelError::NotFound(_))
        ));
    }

    #[test]
    fn tags_merge_and_history_is_bounded() {
        let mut doc = Document::default();
        let now = Utc::now();
        let mut tags = BTreeMap::new();
        tags.insert("owner".to_owned(), "alice".to_owned());
        doc.put_current("a", value("v"), &tags, now);
        let mut more = BTreeMap::new();
        more.insert("owner".to_owned(), "bob".to_owned());
        more.insert("workload".to_owned(), "api".to_owned());
        doc.set_tags("a", &more).expect("tags");
        assert_eq!(doc.describe("a").expect("describe").tags, more);
        for i in 0..50 {
            doc.put_current("a", value(&i.to_string()), &BTreeMap::new(), now);
        }
        assert_eq!(doc.secrets["a"].versions.len(), MAX_VERSIONS);
    }
}
