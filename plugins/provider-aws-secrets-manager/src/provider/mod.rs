//! [`AwsSecretsManagerProvider`]: the struct, its construction and client,
//! [`ProviderInfo`], [`Provider`] (its hook) and [`Revocation`]. Each job
//! trait is implemented in the module for its job: `inventory`
//! (`Catalog`), `versions` (`Reads`), `rotation` (`Writes`) and
//! `attributes` (`Attributes`).

mod attributes;
mod inventory;
mod rotation;
mod versions;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::Client;
use tenure_plugin_api::{
    PluginError, Provider, ProviderCapabilities, ProviderInfo, Revocation, async_trait,
    debug_provider,
};
use tokio::sync::OnceCell;

use crate::budget::Budgets;
use crate::config::AwsConfig;

/// The AWS Secrets Manager provider.
pub struct AwsSecretsManagerProvider {
    name: String,
    config: AwsConfig,
    sdk: Option<SdkConfig>,
    client: OnceCell<Client>,
    budgets: Budgets,
}

impl std::fmt::Debug for AwsSecretsManagerProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_provider(
            f,
            "AwsSecretsManagerProvider",
            &self.name,
            ("region", &self.config.region),
        )
    }
}

impl AwsSecretsManagerProvider {
    /// A provider named `name`, with credentials and region from the standard
    /// AWS chain; connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: AwsConfig) -> Self {
        Self {
            name: name.into(),
            budgets: Budgets::new(&config.rate),
            config,
            sdk: None,
            client: OnceCell::new(),
        }
    }

    /// A provider over an SDK config built by the caller (tests, or programs
    /// that embed Tenure and load AWS config themselves).
    pub fn with_sdk_config(name: impl Into<String>, config: AwsConfig, sdk: SdkConfig) -> Self {
        Self {
            sdk: Some(sdk),
            ..Self::new(name, config)
        }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                if let Some(sdk) = &self.sdk {
                    return Client::new(sdk);
                }
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(region) = &self.config.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(profile) = &self.config.profile {
                    loader = loader.profile_name(profile);
                }
                Client::new(&loader.load().await)
            })
            .await
    }
}

impl ProviderInfo for AwsSecretsManagerProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }
}

impl Provider for AwsSecretsManagerProvider {
    fn revocation(&self) -> Option<&dyn Revocation> {
        Some(self)
    }
}

/// A revoked secret is deleted with the record's recovery window (Secrets
/// Manager cannot disable a secret), so it can be restored within it.
#[async_trait]
impl Revocation for AwsSecretsManagerProvider {
    async fn disable_revoked(
        &self,
        path: &str,
        recovery_window: Option<Duration>,
    ) -> Result<(), PluginError> {
        let days = recovery_window.map_or(self.config.recovery_window_days, |w| {
            u16::try_from(w.as_secs().div_ceil(86_400)).unwrap_or(30)
        });
        self.delete_with_window(path, days).await
    }
}
