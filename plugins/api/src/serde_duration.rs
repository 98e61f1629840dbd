//! Durations in plugin configs, written like `10s`, `5m`, `1h`
//! (`#[serde(deserialize_with = "tenure_plugin_api::serde_duration::deserialize")]`).

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Deserializes a human-readable duration.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("invalid duration {text:?}: {e}")))
}

/// Checks a generated password length against a target's limits.
pub fn check_length(length: usize, min: usize, max: usize) -> Result<(), String> {
    if (min..=max).contains(&length) {
        Ok(())
    } else {
        Err(format!(
            "password_length must be between {min} and {max}, found {length}"
        ))
    }
}
