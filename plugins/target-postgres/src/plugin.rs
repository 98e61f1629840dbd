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

    const ACCOUNT_SYNTAX: Option<AccountSyntax> = Some(AccountSyntax {
        what: "a PostgreSQL role name",
        max_chars: 63,
        allowed: |c| !c.is_control() && c != '\0',
    });

    fn canonical_scope(scope: &str) -> Result<String, String> {
        scope.parse::<crate::Scope>().map(|s| s.to_string())
    }

    fn resolve_paths(config: &mut PostgresConfig, dir: ConfigDir<'_>) {
        dir.source(&mut config.admin_url);
    }

    fn capabilities(_config: &PostgresConfig) -> TargetCapabilities {
        TargetCapabilities {
            rotate: true,
            narrow: true,
            revoke: true,
            login: true,
            logins: true,
        }
    }

    fn validate(config: &PostgresConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &PostgresConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(PostgresTarget::new(name, config.clone())))
    }
}
