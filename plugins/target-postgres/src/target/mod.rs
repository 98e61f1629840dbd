//! [`PostgresTarget`]: the struct and its construction, and the [`Target`]
//! impl, which hands each method to the module for its job.

mod connection;
mod logins;
mod narrowing;
mod revocation;
mod rotation;

use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, PluginError, SecretValue, Target, TargetCapabilities,
    TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::{PostgresConfig, Strategy};
use connection::{Admin, admin_error};
use rotation::dual_names;

/// The postgres target.
pub struct PostgresTarget {
    name: String,
    config: PostgresConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("name", &self.name)
            .field("strategy", &self.config.strategy)
            .finish_non_exhaustive()
    }
}

impl PostgresTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: PostgresConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    async fn role_exists(&self, role: &str) -> Result<bool, PluginError> {
        let admin = self.admin().await?;
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl Target for PostgresTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        self.issue_login(current).await
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.apply_password(pending).await
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.rollback_password(current, pending).await
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.retire_login(previous, current).await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        self.held_privileges(current).await
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<tenure_plugin_api::NarrowReport, PluginError> {
        self.narrow_roles(ctx, current).await
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.revoke_roles(current).await
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        self.try_credential(value).await
    }

    /// The role (single), or the group role the pair alternates in (dual).
    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        let credential = DbCredential::parse(value)?;
        Ok(Some(match self.config.strategy {
            Strategy::Single => credential.username,
            Strategy::Dual => dual_names(&credential.username).0,
        }))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(self.revoked_roles(&DbCredential::parse(value)?))
    }

    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        self.retired_roles(previous, current)
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        self.role_login_states(logins, except).await
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        self.disable_roles(logins, except).await
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        self.roles_that_log_in().await
    }
}
