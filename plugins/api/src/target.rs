//! [`Target`]: the system that accepts a credential.
//!
//! A rotation calls `issue` → (the value is staged in the vault) → `apply` →
//! `test` → (promotion in the vault) → after the grace period `retire`. A
//! failed test calls `rollback`. A revocation calls `revoke` then
//! `verify_revoked`; a narrowing calls `narrow` then `privileges` to verify.
//!
//! Attestation (checking again and again that what was done still holds)
//! uses the read-only calls: `try_login`, `privileges` and `login_states`.
//! A target that knows its logins by name (roles, accounts, ACL users, IAM
//! users and keys) also names the logins a credential uses (`logins`,
//! `retired_logins`), so a revoked or retired credential can be checked and
//! disabled again once its value is gone from the vault, and lists them
//! (`list_logins`) so access no record approves can be found.
//!
//! Every method must be idempotent, and treat "already done" / "already gone"
//! as success: the workflow engine replays a phase after a crash. Every
//! method but `name` and `capabilities` has a default, so a target writes
//! only what it supports: the defaults fail with
//! [`crate::ErrorKind::Unsupported`] (`privileges` answers "cannot tell").

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

/// What a target supports: the plugin's factory
/// ([`crate::TargetPlugin::capabilities`]) says it once, before the target
/// is built, and [`Target::capabilities`] answers the same. A decision the
/// target can't carry out escalates; a method it lacks fails with
/// [`crate::ErrorKind::Unsupported`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetCapabilities {
    /// Can rotate.
    pub rotate: bool,
    /// Can report and cut privileges.
    pub narrow: bool,
    /// Can revoke and prove the revocation.
    pub revoke: bool,
    /// A system outside the vault accepts the credential, and `try_login`
    /// asks it: a test proves the credential works there and a refusal
    /// proves it does not. Without it (`generate`), `test` checks only the
    /// value's format and a revocation is enforced by the vault alone.
    pub login: bool,
    /// Knows its logins by name: `logins`, `retired_logins`, `login_states`,
    /// `disable_logins` and `list_logins` are implemented.
    pub logins: bool,
}

impl TargetCapabilities {
    /// Nothing supported; set the fields a target has.
    pub const NONE: Self = Self {
        rotate: false,
        narrow: false,
        revoke: false,
        login: false,
        logins: false,
    };

    /// Everything: rotate, narrow and revoke a credential that logs in to
    /// a login the target knows by name (a database role, an ACL user).
    pub const ALL: Self = Self {
        rotate: true,
        narrow: true,
        revoke: true,
        login: true,
        logins: true,
    };
}

/// How a fresh login with a credential ended. Either is an answer; a check
/// that could not be made is an error instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// The target accepted the credential.
    Accepted(Proof),
    /// The target refused it (wrong password, disabled account, deleted key).
    Refused(Proof),
}

/// Whether one login can authenticate, as the target's catalog says (read,
/// never by logging in).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoginState {
    /// The login's name, as the target writes it.
    pub login: String,
    /// Whether it can still authenticate (with a credential other than the
    /// one passed as `except`, when one was).
    pub enabled: bool,
    /// What was read: `rolcanlogin=false`, `absent`, `account_locked=Y`,
    /// `flags: off`, `key AKIA... Inactive`. Never a secret.
    pub detail: String,
}

fn unsupported(target: &str, what: &str) -> PluginError {
    PluginError::unsupported(format!("target {target} does not {what}"))
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
    ) -> Result<SecretValue, PluginError> {
        let _ = (ctx, current);
        Err(unsupported(self.name(), "rotate"))
    }

    /// Makes the target accept `pending`, keeping `current` valid where the
    /// strategy allows it.
    async fn apply(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let _ = (ctx, current, pending);
        Err(unsupported(self.name(), "rotate"))
    }

    /// Proves `value` works, with a fresh login where the target has one.
    /// The default asks [`Target::try_login`] and turns a refusal into an
    /// `unauthorized` error.
    async fn test(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        match self.try_login(ctx, value).await? {
            LoginOutcome::Accepted(proof) => Ok(proof),
            LoginOutcome::Refused(proof) => Err(PluginError::unauthorized(format!(
                "{} {}",
                proof.method, proof.detail
            ))),
        }
    }

    /// Undoes `apply` after a failed test, so `current` works again.
    async fn rollback(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let _ = (ctx, current, pending);
        Err(unsupported(self.name(), "rotate"))
    }

    /// After the grace period, makes `previous` stop working.
    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let _ = (ctx, previous, current);
        Err(unsupported(self.name(), "rotate"))
    }

    /// The privileges `current` really holds, as scope strings; `None` when
    /// the target cannot tell (the default).
    async fn privileges(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let _ = (ctx, current);
        Ok(None)
    }

    /// Cuts the privileges of `current` down to `ctx.scopes`.
    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let _ = (ctx, current);
        Err(unsupported(self.name(), "narrow privileges"))
    }

    /// Makes the target refuse `current`.
    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let _ = (ctx, current);
        Err(unsupported(self.name(), "revoke"))
    }

    /// Proves `value` no longer authenticates. An error means it still does
    /// (or the check could not be made). The default asks
    /// [`Target::try_login`].
    async fn verify_revoked(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        match self.try_login(ctx, value).await? {
            LoginOutcome::Refused(proof) => Ok(proof),
            LoginOutcome::Accepted(proof) => Err(PluginError::permanent(format!(
                "the credential still authenticates: {}",
                proof.detail
            ))),
        }
    }

    /// Tries `value` with a fresh login and says whether the target accepted
    /// it. An error means the check could not be made (the target is down,
    /// the admin connection was refused), never that the credential was
    /// refused. Targets with the `login` capability implement it.
    async fn try_login(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let _ = (ctx, value);
        Err(unsupported(self.name(), "log in with a credential"))
    }

    /// The account `value` names: what a record's `account` must approve
    /// before anything touches the target (a role, the group of an
    /// alternating pair, an ACL user, an IAM user). Pure. `None` for a target
    /// without accounts.
    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        let _ = value;
        Ok(None)
    }

    /// The logins `value` authenticates as, by name: what a revocation of
    /// `value` disables (for a pair of alternating roles, both and their
    /// group). Pure: parses the value. Empty for targets without logins.
    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        let _ = value;
        Ok(Vec::new())
    }

    /// The logins that retiring `previous`, now that `current` is in use,
    /// disables: the other role of an alternating pair, the old access key;
    /// the login itself where only its password changed. Pure.
    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        let _ = (previous, current);
        Ok(Vec::new())
    }

    /// Reads whether each of `logins` can still authenticate. With
    /// `except`, only credentials other than `except` count (after a retire,
    /// the login stays in use with the current credential). Read-only.
    async fn login_states(
        &self,
        ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let _ = (ctx, logins, except);
        Err(unsupported(self.name(), "read the state of its logins"))
    }

    /// Disables `logins` (every credential of theirs but `except`) and ends
    /// their sessions where `except` is `None`. Idempotent; a login already
    /// gone is success.
    async fn disable_logins(
        &self,
        ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let _ = (ctx, logins, except);
        Err(unsupported(self.name(), "disable logins"))
    }

    /// Every login that can authenticate now, by name, except the admin's
    /// own and the system's (for discovery of access no record approves).
    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        Err(unsupported(self.name(), "list its logins"))
    }
}
