//! The `vault` provider: HashiCorp Vault and OpenBao, KV version 2.
//!
//! Representation:
//! - **current** is the latest version of the secret's path, so consumers
//!   reading "latest" only ever see promoted values;
//! - a **pending** version lives at `<staging>/<path>/<token>` in the same
//!   mount (default staging folder `.tenure-pending`), invisible to
//!   consumers; the token in the path makes staging idempotent and a second
//!   rotation's token a conflict;
//! - **promotion** writes the staged value as a new version with
//!   check-and-set on the current version number (a concurrent writer is
//!   never silently overwritten), records `tenure_previous_version`,
//!   `tenure_rotated_at` and `tenure_reason` in custom metadata, and deletes
//!   the staged copy;
//! - **previous** is the version named by `tenure_previous_version`;
//!   **retire** destroys it;
//! - **disable** sets `tenure_disabled` and soft-deletes the latest version,
//!   so reads fail;
//! - tags are the custom metadata keys that do not start with `tenure_`.
//!
//! A value that is a JSON object is stored as the KV map itself (so database
//! secrets look as Vault users expect); any other value is stored as
//! `{"value": "..."}`.

mod config;
mod convert;
mod leases;
mod provider;
mod session;

pub use config::{VaultAuth, VaultConfig};
pub use provider::VaultProvider;
pub use session::SessionStats;
