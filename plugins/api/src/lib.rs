//! The contract between Tenure and its plugins.
//!
//! Every plugin crate depends on this crate and nothing else of Tenure's. It
//! defines:
//!
//! - [`SecretValue`]: a secret held in memory. Its `Debug` redacts, it has no
//!   `Display`, and it is zeroed when dropped.
//! - [`SecretAddress`]: `<provider-name>:<path>`, the one way a secret is named
//!   in the CLI, plans, logs, the audit trail and metrics.
//! - [`Provider`]: a vault that stores secrets (inventory, versions, stages,
//!   tags, enable/disable).
//! - [`Target`]: the system that accepts a credential (issue, apply, test,
//!   retire, narrow, revoke, and prove a revoked credential is dead).
//! - [`PluginError`]: every plugin error says what kind it is
//!   ([`ErrorKind`]), so the workflow engine can decide to retry, roll back or
//!   give up without knowing the plugin.
//! - [`ProviderPlugin`] / [`TargetPlugin`]: a plugin's factory, which
//!   registers it with Tenure (its `type`, config, checks and constructor).
//! - [`SecretSource`]: how a config names a credential the plugin needs
//!   (`{ env = "VAR" }` or `{ file = "path" }`), never inline.

mod address;
mod credential;
pub mod defaults;
mod error;
mod plugin;
mod provider;
pub mod random;
mod retry;
pub mod serde_duration;
mod source;
mod stamp;
mod target;
mod value;

pub use address::{AddressError, SecretAddress};
pub use credential::DbCredential;
pub use error::{ErrorKind, PluginError, error_chain};
pub use plugin::{
    AccountSyntax, ConfigDir, ProviderPlugin, TargetPlugin, canonical_scope, resolve_path,
};
pub use provider::{
    Attributes, Catalog, ConsumerRead, LeaseRevocation, Leases, Promotion, Provider,
    ProviderCapabilities, ProviderInfo, Reads, Revocation, SecretMetadata, Stage, VaultEvents,
    VersionId, VersionInfo, Writes, debug_provider,
};
pub use retry::{AWS_RETRYABLE_CODES, is_aws_retryable};
pub use source::{SecretSource, SourceError};
pub use stamp::stamp;
pub use target::{
    LoginOutcome, LoginState, NarrowReport, Proof, Target, TargetCapabilities, TargetContext,
};
pub use value::SecretValue;

/// Re-exported so plugins implement the traits with the same macro version.
pub use async_trait::async_trait;
