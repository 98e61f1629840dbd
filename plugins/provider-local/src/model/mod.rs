//! The vault document: its stored shape, and the stages of one secret's
//! versions as they move along. Pure: no I/O, unit-tested (`tests`);
//! `operations` reads and changes it by path.

mod operations;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenure_plugin_api::{SecretValue, Stage, VersionId};

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

#[cfg(test)]
mod tests;
