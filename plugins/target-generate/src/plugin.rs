//! The factory that registers this target with Tenure (`type = "generate"`).

use std::sync::Arc;

use tenure_plugin_api::{PluginError, Target, TargetCapabilities, TargetPlugin};

use crate::{GenerateConfig, GenerateTarget};

/// `[targets.<name>] type = "generate"`: random values for vault-only consumers.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "generate";
    type Config = GenerateConfig;

    /// A revocation is the vault's alone: no system outside it accepts the
    /// value.
    const CAPABILITIES: TargetCapabilities = TargetCapabilities {
        rotate: true,
        narrow: false,
        revoke: true,
        login: false,
        logins: false,
    };

    fn validate(config: &GenerateConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &GenerateConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(GenerateTarget::new(name, config.clone())))
    }
}
