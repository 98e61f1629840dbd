//! The embedded local vault: Tenure's default provider.
//!
//! One file holds every secret with its versions, stage labels
//! (current/pending/previous), tags and an enabled flag, encrypted with
//! XChaCha20-Poly1305. The key comes from a key file (created 0600 with a
//! fresh random key on first use) or from an environment variable. Every
//! change is a read-modify-write under a file lock, written to a temp file,
//! fsynced and renamed over the old one, so a `kill -9` at any moment leaves
//! either the old or the new vault, never a torn one.
//!
//! - `model`: the document and its operations (pure).
//! - `file`: encryption, keys, locking and atomic writes.
//! - `batch`: group commit of concurrent changes into one write.
//! - `seed`: the optional seed file applied when the vault is created.
//! - `provider`: the [`tenure_plugin_api::Provider`] traits over the file.

mod batch;
mod error;
mod file;
mod model;
mod plugin;
mod provider;
mod seed;

use std::path::PathBuf;

pub use error::LocalError;
pub use model::ModelError;
pub use plugin::Plugin;
pub use provider::LocalVault;

/// `[providers.<name>] type = "local"`. Paths are absolute once the core has loaded the config.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// The vault file.
    pub path: PathBuf,
    /// The 32-byte key: `{ file = "..." }` (created 0600 if missing) or
    /// `{ env = "VAR" }` (64 hex characters). Default: `<path>.key`.
    #[serde(default)]
    pub key: Option<tenure_plugin_api::SecretSource>,
    /// A seed file applied once, when the vault file does not exist yet.
    #[serde(default)]
    pub seed: Option<PathBuf>,
}
