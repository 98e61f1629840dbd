//! The factory that registers this provider with Tenure (`type = "aws_secrets_manager"`).

use std::sync::Arc;

use tenure_plugin_api::{PluginError, Provider, ProviderCapabilities, ProviderPlugin};

use crate::{AwsConfig, AwsSecretsManagerProvider};

/// `[providers.<name>] type = "aws_secrets_manager"`: AWS Secrets Manager.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl ProviderPlugin for Plugin {
    const TYPE: &'static str = "aws_secrets_manager";
    type Config = AwsConfig;

    const CAPABILITIES: ProviderCapabilities = ProviderCapabilities {
        destroy_versions: false,
        ..ProviderCapabilities::STAGED
    };

    fn validate(config: &AwsConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &AwsConfig) -> Result<Arc<dyn Provider>, PluginError> {
        Ok(Arc::new(AwsSecretsManagerProvider::new(
            name,
            config.clone(),
        )))
    }
}
