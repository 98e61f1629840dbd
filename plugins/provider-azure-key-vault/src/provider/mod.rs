//! [`AzureKeyVaultProvider`]: the struct and its construction,
//! [`ProviderInfo`], [`Provider`] (its hook) and [`VaultEvents`]. Each job
//! trait is implemented in the module for its job: `inventory` (`Catalog`),
//! `reads` (`Reads`), `rotation` (`Writes`) and `attributes`
//! (`Attributes`), each operation asking the [`model`](crate::model) what
//! the secret's state means and what to write, and the
//! [`client`](crate::client) to do it (the representation is described in
//! the crate documentation).

mod attributes;
mod inventory;
mod reads;
mod rotation;

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use tenure_plugin_api::{
    ErrorKind, PluginError, Provider, ProviderCapabilities, ProviderInfo, VaultEvents,
    debug_provider,
};

use crate::client::KeyVaultClient;
use crate::config::{AzureKeyVaultConfig, check_url, vault_matches};
use crate::convert::path_of;
use crate::credential::{BuildError, client_options_of, credential_of};
use crate::model::SecretState;

/// The Azure Key Vault provider.
pub struct AzureKeyVaultProvider {
    name: String,
    vault_url: String,
    client: KeyVaultClient,
    expires_after: Option<Duration>,
}

impl std::fmt::Debug for AzureKeyVaultProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_provider(
            f,
            "AzureKeyVaultProvider",
            &self.name,
            ("vault_url", &self.vault_url),
        )
    }
}

impl AzureKeyVaultProvider {
    /// A provider named `name`: resolves the vault URL and the credential
    /// the config names. Touches no network (tokens are fetched on first use).
    pub fn new(name: impl Into<String>, config: &AzureKeyVaultConfig) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError::Config)?;
        let credential = credential_of(config)?;
        Self::with_credential(name, config, credential, client_options_of(config))
    }

    /// A provider over a credential and client options built by the caller:
    /// tests use it to give the SDK an HTTP client that trusts a local
    /// stand-in's certificate and resolves the vault's host to it, and a
    /// `ClientSecretCredential` pointed at the stand-in's token endpoint.
    pub fn with_credential(
        name: impl Into<String>,
        config: &AzureKeyVaultConfig,
        credential: Arc<dyn TokenCredential>,
        client_options: ClientOptions,
    ) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError::Config)?;
        let vault_url = config.vault_url.resolve()?;
        check_url(&vault_url).map_err(BuildError::Config)?;
        let client = KeyVaultClient::new(&vault_url, credential, client_options, config)?;
        Ok(Self {
            name: name.into(),
            vault_url,
            client,
            expires_after: config.expires_after,
        })
    }
}

/// The state of the secret at `path`, `None` when it does not exist.
fn existing(state: Result<SecretState, PluginError>) -> Result<Option<SecretState>, PluginError> {
    match state {
        Ok(state) => Ok(Some(state)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl ProviderInfo for AzureKeyVaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }
}

impl Provider for AzureKeyVaultProvider {
    fn vault_events(&self) -> Option<&dyn VaultEvents> {
        Some(self)
    }
}

impl VaultEvents for AzureKeyVaultProvider {
    fn path_for_event(&self, vault: &str, name: &str) -> Option<String> {
        vault_matches(&self.vault_url, vault)
            .then(|| path_of(name))
            .flatten()
    }
}
