//! Durations in plugin configs, written like `10s`, `5m`, `1h`
//! (`#[serde(deserialize_with = "tenure_plugin_api::serde_duration::deserialize")]`).

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Reads a human-readable duration; the error quotes the text.
pub fn parse(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

/// Deserializes a human-readable duration.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(serde::de::Error::custom)
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
