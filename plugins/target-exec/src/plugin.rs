//! The factory that registers this target with Tenure (`type = "exec"`).

use std::sync::Arc;

use tenure_plugin_api::{ConfigDir, PluginError, Target, TargetCapabilities, TargetPlugin};

use crate::{ExecConfig, ExecTarget};

/// `[targets.<name>] type = "exec"`: an external program over a JSON protocol.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "exec";
    type Config = ExecConfig;

    fn resolve_paths(config: &mut ExecConfig, dir: ConfigDir<'_>) {
        if let Some(program) = config.command.first_mut()
            && program.contains('/')
        {
            *program = dir
                .resolve(std::path::Path::new(program.as_str()))
                .display()
                .to_string();
        }
        if let Some(working_dir) = &mut config.working_dir {
            dir.path(working_dir);
        }
    }

    /// Narrowing only with `narrow = true`: the program says it
    /// implements `privileges` and `narrow`.
    const CAPABILITIES: TargetCapabilities = TargetCapabilities {
        rotate: true,
        narrow: true,
        revoke: true,
        login: true,
        logins: false,
    };

    fn capabilities(config: &ExecConfig) -> TargetCapabilities {
        TargetCapabilities {
            narrow: config.narrow,
            ..Self::CAPABILITIES
        }
    }

    fn validate(config: &ExecConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &ExecConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(ExecTarget::new(name, config.clone())))
    }
}
