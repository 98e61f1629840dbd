//! [`LocalError`]: what can go wrong with the local vault. Never carries a value.

use std::path::PathBuf;

use tenure_plugin_api::PluginError;

use crate::model::ModelError;

/// A local vault error.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// File I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The key could not be read, created or parsed.
    #[error("vault key ({location}): {reason}")]
    Key {
        /// Where the key comes from.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be decrypted.
    #[error("cannot decrypt {path}: wrong key or corrupted file")]
    Decrypt {
        /// The vault file.
        path: PathBuf,
    },
    /// The file is not a vault, or its content is malformed.
    #[error("{path}: not a Tenure vault file ({reason})")]
    Format {
        /// The vault file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The seed file is invalid.
    #[error("seed file {path}: {reason}")]
    Seed {
        /// The seed file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An operation on the vault's content failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The blocking task failed.
    #[error("the vault worker task failed")]
    Task,
}

impl LocalError {
    /// The same error, for each caller whose change shared a failed write.
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Io { path, source } => Self::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            Self::Key { location, reason } => Self::Key {
                location: location.clone(),
                reason: reason.clone(),
            },
            Self::Decrypt { path } => Self::Decrypt { path: path.clone() },
            Self::Format { path, reason } => Self::Format {
                path: path.clone(),
                reason: reason.clone(),
            },
            Self::Seed { path, reason } => Self::Seed {
                path: path.clone(),
                reason: reason.clone(),
            },
            Self::Model(err) => Self::Model(err.clone()),
            Self::Task => Self::Task,
        }
    }
}

impl From<LocalError> for PluginError {
    fn from(err: LocalError) -> Self {
        let message = err.to_string();
        match err {
            LocalError::Io { .. } | LocalError::Task => PluginError::retryable(message),
            LocalError::Key { .. }
            | LocalError::Decrypt { .. }
            | LocalError::Format { .. }
            | LocalError::Seed { .. } => PluginError::permanent(message),
            LocalError::Model(ModelError::NotFound(_)) => PluginError::not_found(message),
            LocalError::Model(ModelError::Conflict(_)) => PluginError::conflict(message),
            LocalError::Model(ModelError::Disabled(_)) => PluginError::permanent(message),
        }
    }
}
