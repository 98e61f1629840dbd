//! The factory that registers this target with Tenure (`type = "mysql"`).

use std::sync::Arc;

use tenure_plugin_api::{
    AccountSyntax, ConfigDir, PluginError, Target, TargetCapabilities, TargetPlugin,
};

use crate::{MysqlConfig, MysqlTarget};

/// `[targets.<name>] type = "mysql"`: MySQL and MariaDB accounts.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "mysql";
    type Config = MysqlConfig;

    const ACCOUNT_SYNTAX: Option<AccountSyntax> = Some(AccountSyntax {
        what: "a MariaDB/MySQL user name",
        max_chars: 80,
        allowed: |c| !c.is_control(),
    });

    fn canonical_scope(scope: &str) -> Result<String, String> {
        scope.parse::<crate::Scope>().map(|s| s.to_string())
    }

    fn resolve_paths(config: &mut MysqlConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
    }

    fn capabilities(_config: &MysqlConfig) -> TargetCapabilities {
        TargetCapabilities {
            rotate: true,
            narrow: true,
            revoke: true,
            login: true,
            logins: true,
        }
    }

    fn validate(config: &MysqlConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &MysqlConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(MysqlTarget::new(name, config.clone())))
    }
}
