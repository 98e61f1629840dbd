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

    const ACCOUNT_SYNTAX: Option<AccountSyntax> = Some(AccountSyntax {
        what: "a Redis ACL user name",
        max_chars: 128,
        allowed: |c| c.is_ascii_graphic(),
    });

    fn canonical_scope(scope: &str) -> Result<String, String> {
        scope.parse::<crate::Scope>().map(|s| s.to_string())
    }

    fn resolve_paths(config: &mut RedisConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
        if let Some(ca) = &mut config.ca_file {
            dir.path(ca);
        }
    }

    fn capabilities(_config: &RedisConfig) -> TargetCapabilities {
        TargetCapabilities {
            rotate: true,
            narrow: true,
            revoke: true,
            login: true,
            logins: true,
        }
    }

    fn validate(config: &RedisConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &RedisConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(RedisTarget::new(name, config.clone())))
    }
}
