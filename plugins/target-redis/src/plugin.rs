//! The factory that registers this target with Tenure (`type = "redis"`).

use std::sync::Arc;

use tenure_plugin_api::{
    AccountSyntax, ConfigDir, PluginError, Target, TargetCapabilities, TargetPlugin,
};

use crate::{RedisConfig, RedisTarget};

/// `[targets.<name>] type = "redis"`: Redis ACL users.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "redis";
    type Config = RedisConfig;
    const CAPABILITIES: TargetCapabilities = TargetCapabilities::ALL;

    const ACCOUNT_SYNTAX: Option<AccountSyntax> =
        Some(AccountSyntax::new("a Redis ACL user name", 128, |c| {
            c.is_ascii_graphic()
        }));

    fn canonical_scope(scope: &str) -> Result<String, String> {
        tenure_plugin_api::canonical_scope::<crate::Scope>(scope)
    }

    fn resolve_paths(config: &mut RedisConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
        if let Some(ca) = &mut config.ca_file {
            dir.path(ca);
        }
    }

    fn validate(config: &RedisConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &RedisConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(RedisTarget::new(name, config.clone())))
    }
}
