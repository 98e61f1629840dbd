//! `[providers.<name>] type = "aws_secrets_manager"`.

use serde::Deserialize;

fn default_write() -> u32 {
    40
}
fn default_tag() -> u32 {
    40
}
fn default_read() -> u32 {
    500
}
fn default_list() -> u32 {
    20
}
fn default_window() -> u16 {
    30
}

/// Client-side request budgets, in calls per second, one per API family.
///
/// The defaults stay under AWS's per-account, per-region quotas (50 per
/// second for the write family and for tagging, far more for reads), so a
/// mass expiry slows down instead of being throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateBudget {
    /// PutSecretValue, UpdateSecretVersionStage, CreateSecret, DeleteSecret,
    /// RestoreSecret. Default 40.
    #[serde(default = "default_write")]
    pub write: u32,
    /// TagResource, UntagResource. Default 40.
    #[serde(default = "default_tag")]
    pub tag: u32,
    /// GetSecretValue, DescribeSecret. Default 500.
    #[serde(default = "default_read")]
    pub read: u32,
    /// ListSecrets, ListSecretVersionIds. Default 20.
    #[serde(default = "default_list")]
    pub list: u32,
}

impl Default for RateBudget {
    fn default() -> Self {
        Self {
            write: default_write(),
            tag: default_tag(),
            read: default_read(),
            list: default_list(),
        }
    }
}

/// The AWS Secrets Manager provider's configuration. Credentials always come
/// from the standard AWS chain (environment, profile, web identity, ECS,
/// instance metadata); the endpoint may be overridden with the SDK's own
/// `AWS_ENDPOINT_URL`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// The region. Default: the standard chain (`AWS_REGION`, then the profile).
    #[serde(default)]
    pub region: Option<String>,
    /// A named profile from the shared config files.
    #[serde(default)]
    pub profile: Option<String>,
    /// Only secrets whose name starts with this are inventoried.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Days a revoked secret stays recoverable before AWS deletes it (7 to 30,
    /// AWS's own bounds); a record's `recovery_window` overrides it. Default 30.
    #[serde(default = "default_window")]
    pub recovery_window_days: u16,
    /// Client-side request budgets per API family.
    #[serde(default)]
    pub rate: RateBudget,
}

impl AwsConfig {
    /// A config with every default.
    pub fn new() -> Self {
        Self {
            region: None,
            profile: None,
            prefix: None,
            recovery_window_days: default_window(),
            rate: RateBudget::default(),
        }
    }

    /// Checks what serde cannot: the budgets and the recovery window.
    pub fn validate(&self) -> Result<(), String> {
        if !(7..=30).contains(&self.recovery_window_days) {
            return Err(format!(
                "recovery_window_days must be between 7 and 30, not {}",
                self.recovery_window_days
            ));
        }
        let RateBudget {
            write,
            tag,
            read,
            list,
        } = self.rate;
        for (name, value) in [
            ("write", write),
            ("tag", tag),
            ("read", read),
            ("list", list),
        ] {
            if value == 0 {
                return Err(format!("rate.{name} must be at least 1 call per second"));
            }
        }
        Ok(())
    }
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self::new()
    }
}
