//! The keys of a `[targets.<name>]` table that are Tenure's, not its
//! plugin's: the attestation budget, discovery of unmanaged accounts, and
//! what to do with one.
//!
//! ```toml
//! [targets.pg]
//! type = "postgres"
//! attest = { concurrency = 4, per_second = 50 }
//! discover = { include = ["app_*"], exclude = ["app_ci_*"], every = "1h" }
//! on_unmanaged = "report"   # or "escalate", or "disable"
//! ```
//!
//! The types live here; `check::targets` checks the keys and builds them.

use std::time::Duration;

use globset::GlobMatcher;
use serde::Deserialize;

use crate::scheduler::Budget;

/// What to do with an account no governed secret names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedAction {
    /// List it in the plan, the API, metrics and the audit trail.
    #[default]
    Report,
    /// The same, and notify.
    Escalate,
    /// Disable it (NOLOGIN, account lock, ACL off, keys deactivated), with proof.
    Disable,
}

impl UnmanagedAction {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Escalate => "escalate",
            Self::Disable => "disable",
        }
    }
}

/// `discover = { include, exclude, every }`: which accounts are looked at.
#[derive(Debug, Clone)]
pub struct DiscoverConfig {
    /// Globs an account must match (all when empty).
    pub include: Vec<GlobMatcher>,
    /// Globs an account must not match.
    pub exclude: Vec<GlobMatcher>,
    /// How often the target's accounts are listed again.
    pub every: Duration,
}

impl DiscoverConfig {
    /// Whether `login` is looked at.
    pub fn selects(&self, login: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| g.is_match(login)))
            && !self.exclude.iter().any(|g| g.is_match(login))
    }
}

/// One target's settings.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// How many attestations of its secrets at once, and how fast.
    pub attest: Budget,
    /// Discovery, when opted in.
    pub discover: Option<DiscoverConfig>,
    /// What to do with an unmanaged account.
    pub on_unmanaged: UnmanagedAction,
}

impl Default for TargetSettings {
    fn default() -> Self {
        Self {
            attest: Budget {
                concurrency: Some(4),
                per_second: None,
            },
            discover: None,
            on_unmanaged: UnmanagedAction::Report,
        }
    }
}
