//! The provider through the real SDK against the HTTPS stand-in of Key
//! Vault and Entra ID (`tenure_testkit::azure_standin`). No external
//! service: these always run. This file holds the client helpers the
//! modules share; one module per behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "key_vault/failures.rs"]
mod failures;
#[path = "key_vault/provider.rs"]
mod provider;
#[path = "key_vault/standin.rs"]
mod standin;

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::Duration;
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use tenure_provider_azure_key_vault::{AzureKeyVaultConfig, AzureKeyVaultProvider};
use tenure_testkit::azure_standin::{CLIENT_ID, CLIENT_SECRET, StandIn, TENANT};

/// Client options that reach the stand-in: its HTTP client, and a short
/// retry policy so a refused connection fails fast.
fn client_options(standin: &StandIn) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(Arc::new(standin.http_client()))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: Duration::milliseconds(20),
            max_retries: 4,
            max_total_elapsed: Duration::seconds(30),
            max_delay: Duration::seconds(5),
        }),
        ..Default::default()
    }
}

/// azure_identity's `ClientSecretCredential` pointed at the stand-in's token endpoint.
fn credential(standin: &StandIn, secret: &str) -> Arc<dyn TokenCredential> {
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = standin.authority();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            cloud: Some(Arc::new(cloud.into())),
            ..client_options(standin)
        },
    };
    ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new(secret.to_owned()),
        Some(options),
    )
    .unwrap()
}

fn provider_with(
    standin: &StandIn,
    config: AzureKeyVaultConfig,
    secret: &str,
) -> AzureKeyVaultProvider {
    AzureKeyVaultProvider::with_credential(
        "azure",
        &config,
        credential(standin, secret),
        client_options(standin),
    )
    .unwrap()
}

fn provider(standin: &StandIn) -> AzureKeyVaultProvider {
    provider_with(
        standin,
        AzureKeyVaultConfig::new(standin.vault_url()),
        CLIENT_SECRET,
    )
}
