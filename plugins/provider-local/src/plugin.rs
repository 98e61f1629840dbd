//! The factory that registers this provider with Tenure (`type = "local"`).

use std::sync::Arc;

use tenure_plugin_api::{ConfigDir, PluginError, Provider, ProviderCapabilities, ProviderPlugin};

use crate::{LocalConfig, LocalVault};

/// `[providers.<name>] type = "local"`: the embedded encrypted file vault.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl ProviderPlugin for Plugin {
    const TYPE: &'static str = "local";
    type Config = LocalConfig;

    const CAPABILITIES: ProviderCapabilities = ProviderCapabilities::STAGED;

    fn resolve_paths(config: &mut LocalConfig, dir: ConfigDir<'_>) {
        dir.path(&mut config.path);
        if let Some(key) = &mut config.key {
            dir.source(key);
        }
        if let Some(seed) = &mut config.seed {
            dir.path(seed);
        }
    }

    fn build(name: &str, config: &LocalConfig) -> Result<Arc<dyn Provider>, PluginError> {
        LocalVault::open(name, config)
            .map(|vault| Arc::new(vault) as Arc<dyn Provider>)
            .map_err(|e| PluginError::permanent(e.to_string()))
    }
}
