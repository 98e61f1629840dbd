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
    const CAPABILITIES: TargetCapabilities = TargetCapabilities::ALL;

    const ACCOUNT_SYNTAX: Option<AccountSyntax> =
        Some(AccountSyntax::new("a MariaDB/MySQL user name", 80, |c| {
            !c.is_control()
        }));

    fn canonical_scope(scope: &str) -> Result<String, String> {
        tenure_plugin_api::canonical_scope::<crate::Scope>(scope)
    }

    fn resolve_paths(config: &mut MysqlConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
    }

    fn validate(config: &MysqlConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &MysqlConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(MysqlTarget::new(name, config.clone())))
    }
}
