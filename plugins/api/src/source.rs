//! [`SecretSource`]: where a credential the config needs comes from.
//!
//! Configs never hold credentials inline: they say `{ env = "VAR" }` or
//! `{ file = "path" }`. Loading the config only records the source (pure);
//! [`SecretSource::resolve`] reads it when the plugin is built.

use std::path::{Path, PathBuf};

use crate::SecretValue;

/// Why a secret source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The environment variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The source yielded an empty value.
    #[error("{0} is empty")]
    Empty(String),
}

/// A credential's source: an environment variable or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `{ env = "VAR" }`
    Env(String),
    /// `{ file = "path" }`; relative paths are resolved against the config file's folder.
    File(PathBuf),
}

impl SecretSource {
    /// Resolves a relative file path against `base` (the config file's folder).
    pub fn rebase(&mut self, base: &Path) {
        if let Self::File(path) = self
            && path.is_relative()
        {
            *path = base.join(&*path);
        }
    }

    /// Reads the value. A file's single trailing newline is dropped.
    pub fn resolve(&self) -> Result<SecretValue, SourceError> {
        let value = match self {
            Self::Env(name) => {
                std::env::var(name).map_err(|_| SourceError::MissingEnv(name.clone()))?
            }
            Self::File(path) => {
                let mut text =
                    std::fs::read_to_string(path).map_err(|source| SourceError::File {
                        path: path.clone(),
                        source,
                    })?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                text
            }
        };
        let value = SecretValue::new(value);
        if value.is_empty() {
            return Err(SourceError::Empty(self.to_string()));
        }
        Ok(value)
    }
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

const INLINE: &str =
    "credentials are never written inline; use { env = \"VAR\" } or { file = \"path\" }";

struct SourceVisitor;

impl<'de> serde::de::Visitor<'de> for SourceVisitor {
    type Value = SecretSource;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{ env = \"VAR\" } or { file = \"path\" }")
    }

    // Scalars are refused without echoing them: they may be the secret itself.
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(INLINE))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(INLINE))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(INLINE))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error as _;
        let mut env: Option<String> = None;
        let mut file: Option<PathBuf> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "env" if env.is_none() => env = Some(map.next_value()?),
                "file" if file.is_none() => file = Some(map.next_value()?),
                "env" | "file" => return Err(A::Error::custom(format!("duplicate field `{key}`"))),
                other => return Err(A::Error::unknown_field(other, &["env", "file"])),
            }
        }
        match (env, file) {
            (Some(env), None) if !env.is_empty() => Ok(SecretSource::Env(env)),
            (None, Some(file)) if !file.as_os_str().is_empty() => Ok(SecretSource::File(file)),
            _ => Err(A::Error::custom(
                "expected exactly one of { env = \"VAR\" } or { file = \"path\" }",
            )),
        }
    }
}

impl<'de> serde::Deserialize<'de> for SecretSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}
