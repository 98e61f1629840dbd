//! Building the Azure credential and the SDK's client options from the
//! config, and why building the provider can fail. Touches no network:
//! tokens are fetched on first use.

use std::sync::Arc;

use azure_core::cloud::CustomConfiguration;
use azure_core::credentials::{Secret as AzureSecret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};
use tenure_plugin_api::SecretSource;

use crate::config::{AzureKeyVaultConfig, Credential};

/// The longest the SDK keeps retrying one request.
const MAX_RETRY_SECONDS: i64 = 30;

/// Why a provider could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// The vault URL or the client secret could not be read.
    #[error(transparent)]
    Source(#[from] tenure_plugin_api::SourceError),
    /// azure_identity refused the credential settings.
    #[error("credential: {0}")]
    Credential(String),
    /// The SDK refused the client settings.
    #[error("client: {0}")]
    Client(String),
}

/// Builds the token credential the config names.
pub fn credential_of(config: &AzureKeyVaultConfig) -> Result<Arc<dyn TokenCredential>, BuildError> {
    match &config.credential {
        Credential::DeveloperTools => developer_tools(),
        Credential::ManagedIdentity { client_id } => managed_identity(client_id.as_deref()),
        Credential::ClientSecret {
            tenant_id,
            client_id,
            secret,
            authority_host,
        } => client_secret(tenant_id, client_id, secret, authority_host.as_deref()),
    }
}

/// The SDK's client options: exponential retries, `max_retries` of them
/// within 30 seconds.
pub fn client_options_of(config: &AzureKeyVaultConfig) -> ClientOptions {
    let retry = RetryOptions::exponential(ExponentialRetryOptions {
        max_retries: config.max_retries,
        max_total_elapsed: azure_core::time::Duration::seconds(MAX_RETRY_SECONDS),
        ..ExponentialRetryOptions::default()
    });
    ClientOptions {
        retry,
        ..ClientOptions::default()
    }
}

fn refused(err: azure_core::Error) -> BuildError {
    BuildError::Credential(err.to_string())
}

fn developer_tools() -> Result<Arc<dyn TokenCredential>, BuildError> {
    let credential = DeveloperToolsCredential::new(None).map_err(refused)?;
    Ok(credential)
}

fn managed_identity(client_id: Option<&str>) -> Result<Arc<dyn TokenCredential>, BuildError> {
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: client_id.map(|id| UserAssignedId::ClientId(id.to_owned())),
        ..Default::default()
    };
    let credential = ManagedIdentityCredential::new(Some(options)).map_err(refused)?;
    Ok(credential)
}

fn client_secret(
    tenant_id: &str,
    client_id: &str,
    secret: &SecretSource,
    authority_host: Option<&str>,
) -> Result<Arc<dyn TokenCredential>, BuildError> {
    let secret = secret.resolve()?;
    let mut options = ClientSecretCredentialOptions::default();
    if let Some(host) = authority_host {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = host.to_owned();
        options.client_options.cloud = Some(Arc::new(cloud.into()));
    }
    let credential = ClientSecretCredential::new(
        tenant_id,
        client_id.to_owned(),
        AzureSecret::new(secret.expose().to_owned()),
        Some(options),
    )
    .map_err(refused)?;
    Ok(credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_client_secret_is_a_source_error() {
        let mut config = AzureKeyVaultConfig::new("https://v.vault.azure.net");
        config.credential = Credential::ClientSecret {
            tenant_id: "t".to_owned(),
            client_id: "c".to_owned(),
            secret: SecretSource::Env("TENURE_TEST_AKV_UNSET_SECRET_VARIABLE".into()),
            authority_host: None,
        };
        assert!(matches!(credential_of(&config), Err(BuildError::Source(_))));
    }

    #[test]
    fn a_managed_identity_credential_is_built_without_the_network() {
        let mut config = AzureKeyVaultConfig::new("https://v.vault.azure.net");
        config.credential = Credential::ManagedIdentity {
            client_id: Some("c".to_owned()),
        };
        assert!(credential_of(&config).is_ok());
    }
}
