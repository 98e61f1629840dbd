//! The provider's configuration (`[providers.<name>] type =
//! "azure_key_vault"`): what serde reads, what it cannot check, and what
//! the vault URL says. Pure: no I/O beyond reading a URL's source.

use std::time::Duration;

use serde::Deserialize;
use tenure_plugin_api::SecretSource;

fn default_rate() -> u32 {
    300
}

fn default_page_size() -> u32 {
    25
}

fn optional_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    tenure_plugin_api::serde_duration::deserialize(d).map(Some)
}

/// Where the vault's URL comes from: written inline
/// (`vault_url = "https://name.vault.azure.net"`) or read from the
/// environment or a file like a credential (`vault_url = { env = "AZURE_KEYVAULT_URL" }`).
/// A URL is not a secret; the second form only keeps it out of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultUrl {
    /// Written in the config.
    Inline(String),
    /// Read from an environment variable or a file when the provider is built.
    Source(SecretSource),
}

impl VaultUrl {
    /// The URL, reading its source if it has one.
    pub fn resolve(&self) -> Result<String, tenure_plugin_api::SourceError> {
        match self {
            Self::Inline(url) => Ok(url.clone()),
            Self::Source(source) => source.resolve().map(|v| v.expose().trim().to_owned()),
        }
    }
}

struct VaultUrlVisitor;

impl<'de> serde::de::Visitor<'de> for VaultUrlVisitor {
    type Value = VaultUrl;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a URL, { env = \"VAR\" } or { file = \"path\" }")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(VaultUrl::Inline(v.to_owned()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        SecretSource::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(VaultUrl::Source)
    }
}

impl<'de> Deserialize<'de> for VaultUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VaultUrlVisitor)
    }
}

/// How Tenure authenticates to Entra ID (`credential = { method = "..." }`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credential {
    /// The developer tools' login (`az login`, then `azd auth login`):
    /// azure_identity's `DeveloperToolsCredential`. The default.
    #[default]
    DeveloperTools,
    /// The managed identity of the VM, App Service or container the service
    /// runs in; a user-assigned identity is chosen by its client id.
    ManagedIdentity {
        /// A user-assigned identity's client id; none means system-assigned.
        #[serde(default)]
        client_id: Option<String>,
    },
    /// A service principal's client secret.
    ClientSecret {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret's source, e.g. `{ env = "AZURE_CLIENT_SECRET" }`.
        secret: SecretSource,
        /// The Entra ID authority, e.g. `https://login.microsoftonline.us`
        /// for Azure Government. Default: the public cloud (or
        /// `AZURE_AUTHORITY_HOST`).
        #[serde(default)]
        authority_host: Option<String>,
    },
}

/// The Azure Key Vault provider's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureKeyVaultConfig {
    /// The vault, e.g. `https://my-vault.vault.azure.net`, or
    /// `{ env = "AZURE_KEYVAULT_URL" }`.
    pub vault_url: VaultUrl,
    /// How to authenticate. Default: `{ method = "developer_tools" }`.
    #[serde(default)]
    pub credential: Credential,
    /// Client-side budget in calls per second for the whole vault. Key Vault
    /// throttles secrets at about 4,000 transactions per 10 seconds per
    /// vault, shared with every other client of the vault; the default, 300,
    /// leaves room for them. The SDK still honours a 429's `Retry-After`.
    #[serde(default = "default_rate")]
    pub rate: u32,
    /// Secrets per page when listing (Key Vault allows 1 to 25). Default 25.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Lifetime given to every version Tenure writes (`exp` = write time +
    /// this), e.g. `"90d"`. Without it a promoted version keeps the lifetime
    /// of the version it replaces (its `exp` minus its `nbf` or creation
    /// time), and a secret without `exp` stays without.
    #[serde(default, deserialize_with = "optional_duration")]
    pub expires_after: Option<Duration>,
    /// How many times the SDK retries a failed request (throttling, server
    /// errors, an unreachable vault) before Tenure's own workflow backoff
    /// takes over. Default 3 (the SDK's own default, 8, takes over a minute
    /// to report an unreachable vault).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
}

fn default_max_retries() -> u32 {
    3
}

impl AzureKeyVaultConfig {
    /// A config for `vault_url` with every default.
    pub fn new(vault_url: impl Into<String>) -> Self {
        Self {
            vault_url: VaultUrl::Inline(vault_url.into()),
            credential: Credential::default(),
            rate: default_rate(),
            page_size: default_page_size(),
            expires_after: None,
            max_retries: default_max_retries(),
        }
    }

    /// Checks what serde cannot: the budget, the page size and an inline URL.
    pub fn validate(&self) -> Result<(), String> {
        if self.rate == 0 {
            return Err("rate must be at least 1 call per second".to_owned());
        }
        if !(1..=25).contains(&self.page_size) {
            return Err(format!(
                "page_size must be between 1 and 25, not {}",
                self.page_size
            ));
        }
        if let VaultUrl::Inline(url) = &self.vault_url {
            check_url(url)?;
        }
        if let Credential::ClientSecret {
            tenant_id,
            client_id,
            authority_host,
            ..
        } = &self.credential
        {
            if tenant_id.is_empty() || client_id.is_empty() {
                return Err("credential: tenant_id and client_id must not be empty".to_owned());
            }
            if let Some(host) = authority_host
                && !host.starts_with("https://")
            {
                return Err(format!(
                    "credential.authority_host must be an https:// URL, not {host:?}"
                ));
            }
        }
        Ok(())
    }
}

/// Checks that `url` is an https URL (the SDK refuses to send a token over
/// plain HTTP).
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("vault_url must be an https:// URL, not {url:?}"))?;
    if rest.trim_end_matches('/').is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("vault_url {url:?} names no host"));
    }
    Ok(())
}

/// Whether `vault` (an Event Grid `VaultName`) is the vault at `url`: the
/// first label of its host, compared without case.
pub fn vault_matches(url: &str, vault: &str) -> bool {
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host.split('.')
        .next()
        .is_some_and(|label| !vault.is_empty() && label.eq_ignore_ascii_case(vault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrapper {
        provider: AzureKeyVaultConfig,
    }

    fn parse(text: &str) -> Result<AzureKeyVaultConfig, String> {
        serde_json::from_str::<Wrapper>(text)
            .map(|w| w.provider)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_every_credential_method() {
        let config =
            parse(r#"{"provider": {"vault_url": "https://v.vault.azure.net"}}"#).expect("minimal");
        assert_eq!(
            config,
            AzureKeyVaultConfig::new("https://v.vault.azure.net")
        );
        assert!(config.validate().is_ok());

        let config = parse(
            r#"{"provider": {"vault_url": {"env": "AZURE_KEYVAULT_URL"},
                "credential": {"method": "client_secret", "tenant_id": "t", "client_id": "c",
                               "secret": {"env": "AZURE_CLIENT_SECRET"}},
                "expires_after": "90d"}}"#,
        )
        .expect("client secret");
        assert_eq!(
            config.vault_url,
            VaultUrl::Source(SecretSource::Env("AZURE_KEYVAULT_URL".into()))
        );
        assert_eq!(config.expires_after, Some(Duration::from_secs(90 * 86_400)));
        assert!(matches!(config.credential, Credential::ClientSecret { .. }));

        let config = parse(
            r#"{"provider": {"vault_url": "https://v.vault.azure.net",
                "credential": {"method": "managed_identity", "client_id": "abc"}}}"#,
        )
        .expect("managed identity");
        assert_eq!(
            config.credential,
            Credential::ManagedIdentity {
                client_id: Some("abc".into())
            }
        );
    }

    #[test]
    fn refusals() {
        let err = parse(r#"{"provider": {"vault_url": "https://v", "colour": 1}}"#)
            .expect_err("unknown key");
        assert!(err.contains("unknown field `colour`"), "{err}");
        let err = parse(
            r#"{"provider": {"vault_url": "https://v",
                "credential": {"method": "client_secret", "tenant_id": "t", "client_id": "c",
                               "secret": "inline-secret"}}}"#,
        )
        .expect_err("inline secret");
        assert!(!err.contains("inline-secret"), "{err}");
        let config =
            parse(r#"{"provider": {"vault_url": "http://v.vault.azure.net"}}"#).expect("parses");
        assert!(config.validate().is_err());
        let mut config = AzureKeyVaultConfig::new("https://v.vault.azure.net");
        config.page_size = 26;
        assert!(config.validate().is_err());
        config.page_size = 2;
        config.rate = 0;
        assert!(config.validate().is_err());
    }

    #[test]
    fn event_grid_vault_names_match_the_vault_url() {
        assert!(vault_matches(
            "https://My-Vault.vault.azure.net",
            "my-vault"
        ));
        assert!(vault_matches(
            "https://my-vault.vault.azure.net:443/",
            "MY-VAULT"
        ));
        assert!(!vault_matches("https://my-vault.vault.azure.net", "other"));
        assert!(!vault_matches("https://my-vault.vault.azure.net", ""));
    }
}
