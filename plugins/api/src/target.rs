//! [`Target`]: the system that accepts a credential.
//!
//! A rotation calls `issue` → (the value is staged in the vault) → `apply` →
//! `test` → (promotion in the vault) → after the grace period `retire`. A
//! failed test calls `rollback`. A revocation calls `revoke` then
//! `verify_revoked`; a narrowing calls `narrow` then `privileges` to verify.
//!
//! Every method must be idempotent, and treat "already done" / "already gone"
//! as success: the workflow engine replays a phase after a crash.

use crate::{PluginError, SecretAddress, SecretValue};

/// What the workflow tells a target about the secret it is acting on.
#[derive(Debug, Clone, Copy)]
pub struct TargetContext<'a> {
    /// The secret's address (for messages; never needed to act).
    pub address: &'a SecretAddress,
    /// The workflow run's id (an idempotency key for targets that need one).
    pub run_id: &'a str,
    /// The governance record's approved scopes.
    pub scopes: &'a [String],
}

/// Evidence that a check was made: recorded in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proof {
    /// How it was checked (`login`, `vault_read`, `catalog`, ...).
    pub method: String,
    /// What was observed (a server error code, a count), never a secret.
    pub detail: String,
}

impl Proof {
    /// A proof with the given method and detail.
    pub fn new(method: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            detail: detail.into(),
        }
    }
}

/// What a narrowing removed and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NarrowReport {
    /// Privileges taken away.
    pub removed: Vec<String>,
    /// Privileges the credential holds afterwards.
    pub remaining: Vec<String>,
}

/// What a target supports; a decision the target can't carry out escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetCapabilities {
    /// Can rotate.
    pub rotate: bool,
    /// Can report and cut privileges.
    pub narrow: bool,
    /// Can revoke and prove the revocation.
    pub revoke: bool,
}

/// A system that accepts credentials.
#[async_trait::async_trait]
pub trait Target: Send + Sync + 'static {
    /// The configured name.
    fn name(&self) -> &str;

    /// What this target supports.
    fn capabilities(&self) -> TargetCapabilities;

    /// Produces the next credential from the current one (a new password for
    /// the same user, or the other user of a dual pair).
    async fn issue(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError>;

    /// Makes the target accept `pending`, keeping `current` valid where the
    /// strategy allows it.
    async fn apply(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError>;

    /// Proves `value` works, with a fresh login where the target has one.
    async fn test(&self, ctx: TargetContext<'_>, value: &SecretValue)
    -> Result<Proof, PluginError>;

    /// Undoes `apply` after a failed test, so `current` works again.
    async fn rollback(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError>;

    /// After the grace period, makes `previous` stop working.
    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError>;

    /// The privileges `current` really holds, as scope strings; `None` when
    /// the target cannot tell.
    async fn privileges(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError>;

    /// Cuts the privileges of `current` down to `ctx.scopes`.
    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError>;

    /// Makes the target refuse `current`.
    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError>;

    /// Proves `value` no longer authenticates. An error means it still does
    /// (or the check could not be made).
    async fn verify_revoked(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError>;
}
