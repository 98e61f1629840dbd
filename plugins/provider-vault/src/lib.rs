//! The `vault` provider: HashiCorp Vault and OpenBao, KV version 2.
//!
//! Representation:
//! - **current** is the latest version of the secret's path, so consumers
//!   reading "latest" only ever see promoted values;
//! - a **pending** version lives at `<staging>/<path>/<token>` in the same
//!   mount (default staging folder `.tenure-pending`), invisible to
//!   consumers; the secret's own custom metadata names it
//!   (`tenure_pending` = the token, `tenure_pending_at`,
//!   `tenure_pending_base` = the version current when it was staged, and
//!   the run's notes as `tenure_pending_note_*`), so one metadata read
//!   describes a secret with its pending version. The value is written
//!   before the pointer: a crash in between leaves an unreferenced copy
//!   that a retry with the same token replaces; another token is a
//!   conflict;
//! - **promotion** writes the staged value as a new version with
//!   check-and-set on the current version number (a concurrent writer is
//!   never silently overwritten; a value someone wrote since staging stays
//!   in history as the previous version), then, in one metadata PATCH, records
//!   `tenure_previous_version`, `tenure_promoted_token`, `tenure_rotated_at`
//!   and `tenure_reason` and removes the pending keys, and deletes the
//!   staged copy. Metadata is only ever merged (PATCH, Vault 1.9+ and
//!   OpenBao), never rewritten whole, so tags set by others are kept;
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
mod plugin;
mod provider;
mod raw;
mod session;

pub use config::{VaultAuth, VaultConfig};
pub use plugin::Plugin;
pub use provider::VaultProvider;
pub use session::SessionStats;
