//! `[targets.<name>] type = "exec"`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

/// The exec target's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecConfig {
    /// The program and its arguments (never secrets). A relative program
    /// path containing `/` resolves against the config file's folder.
    pub command: Vec<String>,
    /// How long one operation may take. Default: 30s.
    #[serde(
        default = "default_timeout",
        deserialize_with = "tenure_plugin_api::serde_duration::deserialize"
    )]
    pub timeout: Duration,
    /// Extra, non-secret environment variables for the program.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory (default: the current one).
    #[serde(default)]
    pub working_dir: Option<PathBuf>,
    /// Whether the program implements `privileges` and `narrow`. Default: false.
    #[serde(default)]
    pub narrow: bool,
}

impl ExecConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        match self.command.first() {
            None => Err("command must name a program".into()),
            Some(program) if program.is_empty() => Err("command must name a program".into()),
            Some(_) if self.timeout.is_zero() => Err("timeout must be longer than 0s".into()),
            Some(_) => Ok(()),
        }
    }
}
