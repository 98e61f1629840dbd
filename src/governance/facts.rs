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
    /// What the latest attestation found, if the secret was ever attested.
    pub attested: Option<Attested>,
    /// Its vault could not be read this time: nothing else here is known.
    pub vault_unreachable: bool,
}

/// What the latest attestation of a secret found: each flag is a check
/// that failed. A check that could not be made sets `unavailable`, never
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attested {
    /// When it was attested.
    pub at: DateTime<Utc>,
    /// The vault's current value was refused by the target.
    pub credential_rejected: bool,
    /// A revoked credential, or its vault entry, works again.
    pub revocation_undone: bool,
    /// A retired credential works again.
    pub retired_credential_alive: bool,
    /// The vault still serves a retired or revoked value.
    pub retired_value_readable: bool,
    /// An approved scope is not held.
    pub scope_missing: bool,
    /// The target or the vault could not be asked.
    pub unavailable: bool,
    /// The value names an account the record does not approve.
    pub account_mismatch: bool,
}

impl Attested {
    /// A clean result at `at`.
    pub fn clean(at: DateTime<Utc>) -> Self {
        Self {
            at,
            credential_rejected: false,
            revocation_undone: false,
            retired_credential_alive: false,
            retired_value_readable: false,
            scope_missing: false,
            unavailable: false,
            account_mismatch: false,
        }
    }
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
            attested: None,
            vault_unreachable: false,
        }
    }
}
