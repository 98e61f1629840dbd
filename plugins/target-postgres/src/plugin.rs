//! The factory that registers this target with Tenure (`type = "postgres"`).

use std::sync::Arc;

use tenure_plugin_api::{
    AccountSyntax, ConfigDir, PluginError, Target, TargetCapabilities, TargetPlugin,
};

use crate::{PostgresConfig, PostgresTarget};

/// `[targets.<name>] type = "postgres"`: PostgreSQL roles.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "postgres";
    type Config = PostgresConfig;
    const CAPABILITIES: TargetCapabilities = TargetCapabilities::ALL;

    const ACCOUNT_SYNTAX: Option<AccountSyntax> =
        Some(AccountSyntax::new("a PostgreSQL role name", 63, |c| {
            !c.is_control() && c != '\0'
        }));

    fn canonical_scope(scope: &str) -> Result<String, String> {
        tenure_plugin_api::canonical_scope::<crate::Scope>(scope)
    }

    fn resolve_paths(config: &mut PostgresConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
    }

    fn validate(config: &PostgresConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &PostgresConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(PostgresTarget::new(name, config.clone())))
    }
}
