//! The factory that registers this target with Tenure (`type = "aws_iam"`).

use std::sync::Arc;

use tenure_plugin_api::{AccountSyntax, PluginError, Target, TargetCapabilities, TargetPlugin};

use crate::{IamConfig, IamTarget};

/// `[targets.<name>] type = "aws_iam"`: IAM user access keys.
#[derive(Debug, Clone, Copy)]
pub struct Plugin;

impl TargetPlugin for Plugin {
    const TYPE: &'static str = "aws_iam";
    type Config = IamConfig;
    const CAPABILITIES: TargetCapabilities = TargetCapabilities::ALL;

    const ACCOUNT_SYNTAX: Option<AccountSyntax> =
        Some(AccountSyntax::new("an IAM user name", 64, |c| {
            c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
        }));

    fn validate(config: &IamConfig) -> Result<(), String> {
        config.validate()
    }

    fn build(name: &str, config: &IamConfig) -> Result<Arc<dyn Target>, PluginError> {
        Ok(Arc::new(IamTarget::new(name, config.clone())))
    }
}
