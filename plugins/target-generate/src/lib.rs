//! The `generate` target: for secrets whose only consumer reads them from the vault.
//!
//! There is no external system to change: a rotation is a fresh random value
//! from the operating system's CSPRNG under a policy (length, alphabet), and a
//! revocation is enforced by disabling the secret in its vault, which the
//! workflow does and verifies right after this target's (empty) revoke step.

mod plugin;

pub use plugin::Plugin;

use tenure_plugin_api::{
    PluginError, Proof, SecretValue, Target, TargetCapabilities, TargetContext, async_trait,
};

/// The characters a generated value is drawn from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alphabet {
    /// `A-Z a-z 0-9`
    Alphanumeric,
    /// `0-9 a-f`
    Hex,
    /// `A-Z a-z 0-9 - _`
    Base64url,
    /// Letters, digits and `!#%+-.:=@^_~`, safe in URLs, shells and connection strings.
    Symbols,
}

impl Alphabet {
    fn chars(&self) -> &'static [u8] {
        match self {
            Self::Alphanumeric => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            Self::Hex => b"0123456789abcdef",
            Self::Base64url => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            Self::Symbols => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%+-.:=@^_~"
            }
        }
    }
}

fn default_length() -> usize {
    32
}

fn default_alphabet() -> Alphabet {
    Alphabet::Alphanumeric
}

/// `[targets.<name>] type = "generate"`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateConfig {
    /// Characters in a generated value (16 to 4096; default 32).
    #[serde(default = "default_length")]
    pub length: usize,
    /// Which characters (default `alphanumeric`).
    #[serde(default = "default_alphabet")]
    pub alphabet: Alphabet,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        Self {
            length: default_length(),
            alphabet: default_alphabet(),
        }
    }
}

impl GenerateConfig {
    /// Checks the policy; the message names the problem (the caller adds the key path).
    pub fn validate(&self) -> Result<(), String> {
        if !(16..=4096).contains(&self.length) {
            return Err(format!(
                "length must be between 16 and 4096, found {}",
                self.length
            ));
        }
        Ok(())
    }
}

pub use tenure_plugin_api::random::RandomError as GenerateError;

/// Draws `length` characters uniformly from `alphabet` using the OS CSPRNG.
pub fn random_string(length: usize, alphabet: &Alphabet) -> Result<SecretValue, GenerateError> {
    tenure_plugin_api::random::random_string(length, alphabet.chars())
}

/// The `generate` target.
#[derive(Debug)]
pub struct GenerateTarget {
    name: String,
    config: GenerateConfig,
}

impl GenerateTarget {
    /// A target named `name` with the given policy.
    pub fn new(name: impl Into<String>, config: GenerateConfig) -> Self {
        Self {
            name: name.into(),
            config,
        }
    }

    fn conforms(&self, value: &SecretValue) -> bool {
        let allowed = self.config.alphabet.chars();
        value.len() == self.config.length && value.expose().bytes().all(|b| allowed.contains(&b))
    }
}

#[async_trait]
impl Target for GenerateTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        random_string(self.config.length, &self.config.alphabet)
            .map_err(|e| PluginError::retryable(e.to_string()))
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        _pending: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }

    async fn test(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        if self.conforms(value) {
            Ok(Proof::new(
                "policy",
                format!(
                    "{} characters from {:?}",
                    self.config.length, self.config.alphabet
                ),
            ))
        } else {
            Err(PluginError::permanent(
                "the staged value does not match the target's length and alphabet policy",
            ))
        }
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        _pending: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        _previous: &SecretValue,
        _current: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        _current: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }

    async fn verify_revoked(
        &self,
        _ctx: TargetContext<'_>,
        _value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        Ok(Proof::new(
            "no_external_acceptor",
            "no system outside the vault accepts this value; the vault disable step enforces the revocation",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenure_plugin_api::SecretAddress;

    #[test]
    fn generates_the_requested_policy() {
        for alphabet in [
            Alphabet::Alphanumeric,
            Alphabet::Hex,
            Alphabet::Base64url,
            Alphabet::Symbols,
        ] {
            let value = random_string(40, &alphabet).expect("random");
            assert_eq!(value.len(), 40);
            assert!(
                value
                    .expose()
                    .bytes()
                    .all(|b| alphabet.chars().contains(&b))
            );
        }
    }

    #[test]
    fn values_differ() {
        let a = random_string(32, &Alphabet::Alphanumeric).expect("random");
        let b = random_string(32, &Alphabet::Alphanumeric).expect("random");
        assert!(!a.ct_eq(&b));
    }

    #[test]
    fn every_character_is_used() {
        let value = random_string(4096, &Alphabet::Hex).expect("random");
        for c in Alphabet::Hex.chars() {
            assert!(value.expose().as_bytes().contains(c));
        }
    }

    #[test]
    fn validate_bounds_length() {
        let config = GenerateConfig {
            length: 8,
            ..GenerateConfig::default()
        };
        assert_eq!(
            config.validate(),
            Err("length must be between 16 and 4096, found 8".into())
        );
        assert_eq!(GenerateConfig::default().validate(), Ok(()));
    }

    #[tokio::test]
    async fn test_checks_the_policy() {
        let target = GenerateTarget::new("gen", GenerateConfig::default());
        let address: SecretAddress = "local:x".parse().expect("address");
        let ctx = TargetContext {
            address: &address,
            run_id: "r",
            scopes: &[],
        };
        let value = target.issue(ctx, None).await.expect("issue");
        assert!(target.test(ctx, &value).await.is_ok());
        let bad = SecretValue::new("short".into());
        assert!(target.test(ctx, &bad).await.is_err());
    }
}
