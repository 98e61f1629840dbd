//! [`RedisTarget`]: the struct and its construction, and the [`Target`]
//! impl, which hands each method to the module for its job.

mod connection;
mod logins;
mod narrowing;
mod rotation;

use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::RedisConfig;
use connection::Admin;

/// The redis target.
pub struct RedisTarget {
    name: String,
    config: RedisConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl RedisTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: RedisConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }
}

#[async_trait]
impl Target for RedisTarget {
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

    /// The user keeps the current password only: the previous one goes,
    /// and so does any other set by hand meanwhile.
    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let logins = self.retired_logins(previous, current)?;
        self.disable_logins(ctx, &logins, Some(current)).await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        Ok(Some(self.acl_of(&credential.username).await?.privileges()))
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        self.narrow_user(ctx, current).await
    }

    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let logins = self.logins(current)?;
        self.disable_logins(ctx, &logins, None).await
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

    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        self.retired_users(previous, current)
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        self.user_login_states(logins, except).await
    }

    async fn disable_logins(
        &self,
        ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        self.disable_users(ctx, logins, except).await
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        self.users_that_are_on().await
    }
}
