//! `[targets.<name>] type = "aws_iam"`.

use std::time::Duration;

use serde::Deserialize;

fn default_settle() -> Duration {
    Duration::from_secs(30)
}

/// The IAM access-key target's configuration. Tenure's own AWS identity
/// comes from the standard chain; `AWS_ENDPOINT_URL` overrides the endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamConfig {
    /// The region for STS checks. Default: the standard chain.
    #[serde(default)]
    pub region: Option<String>,
    /// A named profile from the shared config files.
    #[serde(default)]
    pub profile: Option<String>,
    /// IAM is eventually consistent: how long a new key may take to start
    /// working, or a deleted one to stop, before the check fails. Default 30s.
    #[serde(
        default = "default_settle",
        deserialize_with = "tenure_plugin_api::serde_duration::deserialize"
    )]
    pub settle_timeout: Duration,
}

impl IamConfig {
    /// A config with every default.
    pub fn new() -> Self {
        Self {
            region: None,
            profile: None,
            settle_timeout: default_settle(),
        }
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.settle_timeout > Duration::from_secs(600) {
            return Err("settle_timeout must be at most 10m".into());
        }
        Ok(())
    }
}

impl Default for IamConfig {
    fn default() -> Self {
        Self::new()
    }
}
