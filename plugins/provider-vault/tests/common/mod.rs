//! What the vault provider's test files share: the OpenBao dev server's
//! root client, and providers over it (address and token in
//! TENURE_TEST_VAULT_ADDR / TENURE_TEST_VAULT_TOKEN, set by scripts/services).

// Each test file uses its own part of this module.
#![allow(dead_code)]

use tenure_plugin_api::SecretSource;
use tenure_provider_vault::{VaultAuth, VaultConfig, VaultProvider};
use tenure_testkit::service_url;
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

/// A root client of the dev server, for writing around the provider; `None`
/// (the test skips) when the server is not running.
pub fn root() -> Option<VaultClient> {
    let address = service_url("TENURE_TEST_VAULT_ADDR")?;
    let token = std::env::var("TENURE_TEST_VAULT_TOKEN").expect("TENURE_TEST_VAULT_TOKEN");
    let settings = VaultClientSettingsBuilder::default()
        .address(address)
        .token(token)
        .build()
        .expect("settings");
    Some(VaultClient::new(settings).expect("client"))
}

/// The dev server's address, as a config names it.
pub fn dev_address() -> SecretSource {
    SecretSource::Env("TENURE_TEST_VAULT_ADDR".into())
}

/// The dev server's root token, as a config names it.
pub fn root_token() -> VaultAuth {
    VaultAuth::Token {
        token: SecretSource::Env("TENURE_TEST_VAULT_TOKEN".into()),
    }
}

/// KV v2 at `secret/` with the default staging folder, at `address`,
/// logging in with `auth`.
pub fn config(address: SecretSource, auth: VaultAuth) -> VaultConfig {
    VaultConfig {
        address,
        auth,
        mount: "secret".into(),
        prefix: None,
        staging: ".tenure-pending".into(),
        namespace: None,
        ca_file: None,
    }
}

/// A provider on the dev server logging in with `auth`.
pub fn provider_with(auth: VaultAuth) -> VaultProvider {
    VaultProvider::new("vault", config(dev_address(), auth))
}

/// A provider on the dev server with its root token.
pub fn provider() -> VaultProvider {
    provider_with(root_token())
}
