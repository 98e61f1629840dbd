//! The factory that registers this provider with Tenure (`type = "azure_key_vault"`).

use std::sync::Arc;

use tenure_plugin_api::{ConfigDir, PluginError, Provider, ProviderCapabilities, ProviderPlugin};

use crate::{AzureKeyVaultConfig, AzureKeyVaultProvider, Credential, VaultUrl};

/// `[providers.<name>] type = "azure_key_vault"`: Azure Key Vault secrets.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl ProviderPlugin for Plugin {
    const TYPE: &'static str = "azure_key_vault";
    type Config = AzureKeyVaultConfig;

    const CAPABILITIES: ProviderCapabilities = ProviderCapabilities::STAGED;

    fn resolve_paths(config: &mut AzureKeyVaultConfig, dir: ConfigDir<'_>) {
        if let VaultUrl::Source(source) = &mut config.vault_url {
            dir.source(source);
        }
        if let Credential::ClientSecret { secret, .. } = &mut config.credential {
            dir.source(secret);
        }
    }

    fn validate(config: &AzureKeyVaultConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &AzureKeyVaultConfig) -> Result<Arc<dyn Provider>, PluginError> {
        AzureKeyVaultProvider::new(name, config)
            .map(|provider| Arc::new(provider) as Arc<dyn Provider>)
            .map_err(|e| PluginError::permanent(e.to_string()))
    }
}
