//! Configuration: TOML files in, a checked [`Config`] out.
//!
//! `load` reads the main file and the governance files its `include` globs
//! name (the only I/O here); [`document`] turns each file into typed parts
//! and [`build`] cross-checks them, both pure. Every problem in every file is
//! reported at once, each naming the file, line:column and key path.
//! Credentials appear only as `{ env = "VAR" }` / `{ file = "path" }`; they
//! are read when plugins are built, never here. Relative paths resolve
//! against the main config file's folder.

mod build;
mod diagnostics;
mod document;
mod load;
mod raw;
mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub use diagnostics::{ConfigError, Diagnostic, resolve};
pub use load::load;

use crate::governance::Governance;
use crate::plugins::{ProviderConfig, TargetConfig};
use crate::policy::Defaults;

/// How failed workflow steps are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed attempts before the secret is quarantined and escalated.
    pub max_attempts: u32,
    /// The first backoff.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// Consecutive failed runs before a secret is quarantined.
    pub quarantine_after: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            quarantine_after: 3,
        }
    }
}

/// A loaded, checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The main config file.
    pub path: PathBuf,
    /// Every file read (the main file first).
    pub files: Vec<PathBuf>,
    /// Where the state store lives.
    pub state_dir: PathBuf,
    /// The audit trail.
    pub audit_log: PathBuf,
    /// How often the service re-reads inventories when nothing is due sooner.
    pub reconcile_interval: Duration,
    /// How long a lease on a secret lasts without renewal.
    pub lease_ttl: Duration,
    /// How many secrets are acted on at once.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Policy where no record applies.
    pub defaults: Defaults,
    /// Providers by name.
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Targets by name.
    pub targets: BTreeMap<String, TargetConfig>,
    /// Records, owners and workloads.
    pub governance: Governance,
}

#[cfg(test)]
mod tests;
