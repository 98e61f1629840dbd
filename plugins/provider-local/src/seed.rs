//! The seed file: secrets to create when the vault is first created.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use tenure_plugin_api::random::{ALPHANUMERIC, random_string};

use crate::error::LocalError;
use crate::model::Document;

fn default_length() -> usize {
    32
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    #[serde(default)]
    secrets: Vec<SeedSecret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedSecret {
    path: String,
    owner: Option<String>,
    workload: Option<String>,
    age: Option<String>,
    #[serde(default = "default_length")]
    length: usize,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// Adds the seed's secrets to `doc` (random values; back-dated by `age`).
pub fn apply(path: &Path, doc: &mut Document, now: DateTime<Utc>) -> Result<usize, LocalError> {
    let seed_error = |reason: String| LocalError::Seed {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| seed_error(e.to_string()))?;
    let seed: SeedFile = toml::from_str(&text).map_err(|e| seed_error(e.message().to_owned()))?;
    for secret in &seed.secrets {
        if tenure_plugin_api::SecretAddress::new("seed", secret.path.clone()).is_err() {
            return Err(seed_error(format!("invalid path {:?}", secret.path)));
        }
        let age = match &secret.age {
            Some(age) => humantime::parse_duration(age)
                .map_err(|e| seed_error(format!("{}: invalid age {age:?}: {e}", secret.path)))?,
            None => std::time::Duration::ZERO,
        };
        if !(16..=4096).contains(&secret.length) {
            return Err(seed_error(format!(
                "{}: length must be between 16 and 4096",
                secret.path
            )));
        }
        let mut tags = secret.tags.clone();
        if let Some(owner) = &secret.owner {
            tags.insert("owner".into(), owner.clone());
        }
        if let Some(workload) = &secret.workload {
            tags.insert("workload".into(), workload.clone());
        }
        let value =
            random_string(secret.length, ALPHANUMERIC).map_err(|e| seed_error(e.to_string()))?;
        let created = now - TimeDelta::from_std(age).unwrap_or(TimeDelta::zero());
        doc.put_current(&secret.path, value, &tags, created);
    }
    Ok(seed.secrets.len())
}
