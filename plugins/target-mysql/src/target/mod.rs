//! [`MysqlTarget`]: the struct, its construction and account naming, and
//! the [`Target`] impl, which hands each method to the module for its job.

mod connection;
mod held;
mod logins;
mod narrowing;
mod revocation;
mod rotation;

use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::MysqlConfig;
use crate::privileges::literal;
use connection::{Admin, admin_error};

/// The mysql target.
pub struct MysqlTarget {
    name: String,
    config: MysqlConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for MysqlTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MysqlTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: MysqlConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    fn account(&self, user: &str) -> String {
        format!("{}@{}", literal(user), literal(&self.config.account_host))
    }

    fn grantee(&self, user: &str) -> String {
        format!("'{user}'@'{}'", self.config.account_host)
    }

    async fn exists(&self, user: &str) -> Result<bool, PluginError> {
        let admin = self.admin().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?")
                .bind(user)
                .bind(&self.config.account_host)
                .fetch_optional(&admin.pool)
                .await
                .map_err(admin_error)?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl Target for MysqlTarget {
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
        self.issue_password(current).await
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
        _previous: &SecretValue,
        _current: &SecretValue,
    ) -> Result<(), PluginError> {
        // One account, one password: the old one stopped working when the new one was set.
        Ok(())
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
    ) -> Result<NarrowReport, PluginError> {
        self.narrow_account(ctx, current).await
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.revoke_account(current).await
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        self.try_credential(value).await
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(DbCredential::parse(value)?.username))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![DbCredential::parse(value)?.username])
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        self.account_login_states(logins, except).await
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        self.lock_logins(logins, except).await
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        self.unlocked_accounts().await
    }
}
