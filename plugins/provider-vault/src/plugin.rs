//! The factory that registers this provider with Tenure (`type = "vault"`).

use std::sync::Arc;

use tenure_plugin_api::{ConfigDir, PluginError, Provider, ProviderCapabilities, ProviderPlugin};

use crate::{VaultAuth, VaultConfig, VaultProvider};

/// `[providers.<name>] type = "vault"`: HashiCorp Vault / OpenBao KV v2.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl ProviderPlugin for Plugin {
    const TYPE: &'static str = "vault";
    type Config = VaultConfig;

    const CAPABILITIES: ProviderCapabilities = ProviderCapabilities {
        leases: true,
        ..ProviderCapabilities::STAGED
    };

    fn resolve_paths(config: &mut VaultConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.address);
        match &mut config.auth {
            VaultAuth::Token { token } => dir.source(token),
            VaultAuth::AppRole {
                role_id, secret_id, ..
            } => {
                dir.source(role_id);
                if let Some(secret_id) = secret_id {
                    dir.source(secret_id);
                }
            }
            VaultAuth::Kubernetes { jwt_file, .. } => dir.path(jwt_file),
        }
        if let Some(ca) = &mut config.ca_file {
            dir.path(ca);
        }
    }

    fn build(name: &str, config: &VaultConfig) -> Result<Arc<dyn Provider>, PluginError> {
        Ok(Arc::new(VaultProvider::new(name, config.clone())))
    }
}
