//! [`SecretFacts`]: what is true of one secret now, gathered from its vault,
//! its target and the state store before a decision is made.

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

/// The facts the decision engine reads about one secret. Never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFacts {
    /// The secret's address.
    pub address: SecretAddress,
    /// When the current version was written; `None` when there is none.
    pub current_created_at: Option<DateTime<Utc>>,
    /// The `owner` tag in the vault, if any.
    pub owner_tag: Option<String>,
    /// The `workload` tag in the vault, if any.
    pub workload_tag: Option<String>,
    /// False once disabled (revoked) in the vault.
    pub enabled: bool,
    /// The vault's own expiry attribute, if it has one.
    pub expires_at: Option<DateTime<Utc>>,
    /// Privileges the credential really holds, when the target can tell.
    pub privileges: Option<Vec<String>>,
    /// Quarantined after repeated failures: only a person can release it.
    pub quarantined: bool,
    /// When the value was reported exposed (an `io.tenure.secret.exposed`
    /// event), if it was; a version written after that is clean.
    pub exposed_at: Option<DateTime<Utc>>,
}

impl SecretFacts {
    /// Facts for an enabled secret with no tags, created at `created_at`.
    pub fn new(address: SecretAddress, current_created_at: Option<DateTime<Utc>>) -> Self {
        Self {
            address,
            current_created_at,
            owner_tag: None,
            workload_tag: None,
            enabled: true,
            expires_at: None,
            privileges: None,
            quarantined: false,
            exposed_at: None,
        }
    }
}
