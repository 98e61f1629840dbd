//! [`IamTarget`]: the struct, its construction and AWS clients, and the
//! [`Target`] impl, which hands each method to the module for its job.

mod keys;
mod logins;
mod narrowing;
mod revocation;
mod rotation;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::Client as Iam;
use tenure_plugin_api::{
    LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::IamConfig;
use crate::key::AccessKey;

/// The IAM access-key target.
pub struct IamTarget {
    name: String,
    config: IamConfig,
    sdk: OnceCell<SdkConfig>,
}

impl std::fmt::Debug for IamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl IamTarget {
    /// A target named `name`; loads the AWS config lazily, on first use.
    pub fn new(name: impl Into<String>, config: IamConfig) -> Self {
        Self {
            name: name.into(),
            config,
            sdk: OnceCell::new(),
        }
    }

    /// A target over an SDK config built by the caller (tests, embedders).
    pub fn with_sdk_config(name: impl Into<String>, config: IamConfig, sdk: SdkConfig) -> Self {
        Self {
            name: name.into(),
            config,
            sdk: OnceCell::new_with(Some(sdk)),
        }
    }

    async fn sdk(&self) -> &SdkConfig {
        self.sdk
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(region) = &self.config.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(profile) = &self.config.profile {
                    loader = loader.profile_name(profile);
                }
                loader.load().await
            })
            .await
    }

    async fn iam(&self) -> Iam {
        Iam::new(self.sdk().await)
    }
}

#[async_trait]
impl Target for IamTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        self.issue_key(ctx, current).await
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.apply_key(pending).await
    }

    async fn test(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        self.test_key(value).await
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.rollback_key(pending).await
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.retire_key(previous, current).await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let key = AccessKey::parse(current)?;
        self.privileges_of(&key.user_name).await.map(Some)
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
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.revoke_user(current).await
    }

    async fn verify_revoked(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        self.verify_user_revoked(value).await
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        self.try_key(value).await
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(AccessKey::parse(value)?.user_name))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![AccessKey::parse(value)?.user_name])
    }

    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        self.retired_keys(previous, current)
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
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        self.disable_user_logins(logins, except).await
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        self.users_with_keys().await
    }
}
