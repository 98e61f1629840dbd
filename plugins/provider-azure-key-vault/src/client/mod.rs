//! [`KeyVaultClient`]: the calls Tenure makes to the Azure SDK's
//! `SecretClient`, each within the client-side budget, with SDK models
//! turned into the [`model`](crate::model)'s and SDK errors into plugin
//! errors that name what was being done.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::ClientOptions;
use azure_security_keyvault_secrets::models::{
    SecretAttributes, SecretClientGetSecretOptions, SecretClientListSecretPropertiesOptions,
    SecretClientListSecretPropertiesVersionsOptions, SecretClientUpdateSecretPropertiesOptions,
    SetSecretParameters, UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use futures_util::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tenure_plugin_api::{ErrorKind, PluginError, SecretValue};

use crate::config::AzureKeyVaultConfig;
use crate::convert::{error, is_disabled, is_not_found, staging_name, to_azure};
use crate::credential::BuildError;
use crate::model::{Listed, NewVersion, SecretState, Version, newest_live_pending};

mod models;

use models::{from_properties, from_secret, listed, value_of};

/// Versions per page when listing versions (Key Vault's maximum).
const VERSION_PAGE: i32 = 25;
/// Secrets per page when the configured page size does not fit.
const DEFAULT_PAGE: i32 = 25;

/// The SDK's secret client behind a client-side rate budget.
pub struct KeyVaultClient {
    client: SecretClient,
    budget: DefaultDirectRateLimiter,
    page_size: i32,
}

impl KeyVaultClient {
    /// A client for the vault at `vault_url` (already checked), with the
    /// config's budget and page size.
    pub fn new(
        vault_url: &str,
        credential: Arc<dyn TokenCredential>,
        client_options: ClientOptions,
        config: &AzureKeyVaultConfig,
    ) -> Result<Self, BuildError> {
        let options = SecretClientOptions {
            client_options,
            ..Default::default()
        };
        let client = SecretClient::new(vault_url, credential, Some(options))
            .map_err(|e| BuildError::Client(e.to_string()))?;
        let rate = NonZeroU32::new(config.rate).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            client,
            budget: RateLimiter::direct(Quota::per_second(rate)),
            page_size: i32::try_from(config.page_size).unwrap_or(DEFAULT_PAGE),
        })
    }

    /// Waits until one more call fits the client-side budget.
    async fn acquire(&self) {
        self.budget.until_ready().await;
    }

    /// Every secret of the vault (the SDK follows `nextLink`).
    pub async fn list_secrets(&self) -> Result<Vec<Listed>, PluginError> {
        let options = SecretClientListSecretPropertiesOptions {
            maxresults: Some(self.page_size),
            ..Default::default()
        };
        let mut pages = self
            .client
            .list_secret_properties(Some(options))
            .map_err(|e| error("list secrets", &e))?
            .into_pages();
        let mut listing = Vec::new();
        loop {
            self.acquire().await;
            let Some(page) = pages.next().await else {
                return Ok(listing);
            };
            let page = page
                .and_then(|p| p.into_model())
                .map_err(|e| error("list secrets", &e))?;
            listing.extend(page.value.iter().filter_map(listed));
        }
    }

    /// Every version of the secret named `name` (at `path`); an empty list
    /// when it does not exist.
    pub async fn versions(&self, path: &str, name: &str) -> Result<Vec<Version>, PluginError> {
        self.versions_of(name)
            .await
            .map_err(|e| error(&format!("list versions of {path}"), &e))
    }

    async fn versions_of(&self, name: &str) -> Result<Vec<Version>, azure_core::Error> {
        let options = SecretClientListSecretPropertiesVersionsOptions {
            maxresults: Some(VERSION_PAGE),
            ..Default::default()
        };
        let mut pages = self
            .client
            .list_secret_properties_versions(name, Some(options))?
            .into_pages();
        let mut versions = Vec::new();
        loop {
            self.acquire().await;
            match pages.next().await {
                None => return Ok(versions),
                Some(Err(e)) if is_not_found(&e) => return Ok(Vec::new()),
                Some(Err(e)) => return Err(e),
                Some(Ok(page)) => {
                    let page = page.into_model()?;
                    versions.extend(page.value.iter().filter_map(from_properties));
                }
            }
        }
    }

    /// The live pending version of the secret named `name`, if any.
    pub async fn pending_of(&self, name: &str) -> Result<Option<Version>, PluginError> {
        let staging = staging_name(name);
        let versions = self
            .versions_of(&staging)
            .await
            .map_err(|e| error(&format!("list versions of {staging}"), &e))?;
        Ok(newest_live_pending(versions))
    }

    /// The secret's state; NotFound when it has no version.
    pub async fn state(&self, path: &str, name: &str) -> Result<SecretState, PluginError> {
        let versions = self.versions(path, name).await?;
        if versions.is_empty() {
            return Err(PluginError::not_found(format!("secret {path}")));
        }
        let pending = self.pending_of(name).await?;
        Ok(SecretState::new(versions, pending))
    }

    /// The newest version's value: what a consumer reads (refused when
    /// disabled).
    pub async fn read_latest(&self, path: &str, name: &str) -> Result<SecretValue, PluginError> {
        self.get(path, name, None)
            .await
            .map_err(|e| error(&format!("read {path}"), &e))
    }

    /// The value of the version `version` of the secret itself.
    pub async fn read_own(
        &self,
        path: &str,
        name: &str,
        version: &str,
    ) -> Result<SecretValue, PluginError> {
        self.get(path, name, Some(version))
            .await
            .map_err(|e| error(&format!("read version {version} of {path}"), &e))
    }

    /// The value of the staged version `version`.
    pub async fn read_staged(
        &self,
        path: &str,
        name: &str,
        version: &str,
    ) -> Result<SecretValue, PluginError> {
        self.get(path, &staging_name(name), Some(version))
            .await
            .map_err(|e| error(&format!("read pending version {version} of {path}"), &e))
    }

    /// The value of the version `version`, of the secret or else of its
    /// staging secret. A retired (disabled) version is gone as far as
    /// Tenure is concerned: not found.
    pub async fn read_version(
        &self,
        path: &str,
        name: &str,
        version: &str,
    ) -> Result<SecretValue, PluginError> {
        let context = format!("read version {version} of {path}");
        let found = match self.get(path, name, Some(version)).await {
            Err(e) if is_not_found(&e) => self.get(path, &staging_name(name), Some(version)).await,
            other => other,
        };
        found.map_err(|e| {
            if is_disabled(&e) {
                PluginError::not_found(format!("{context}: the version is disabled"))
            } else {
                error(&context, &e)
            }
        })
    }

    async fn get(
        &self,
        path: &str,
        name: &str,
        version: Option<&str>,
    ) -> Result<SecretValue, azure_core::Error> {
        let options = SecretClientGetSecretOptions {
            secret_version: version.map(str::to_owned),
            ..Default::default()
        };
        self.acquire().await;
        let secret = self
            .client
            .get_secret(name, Some(options))
            .await?
            .into_model()?;
        value_of(path, secret).map_err(|e| {
            azure_core::Error::with_message(
                azure_core::error::ErrorKind::DataConversion,
                e.to_string(),
            )
        })
    }

    /// Writes a new, enabled version of the secret named `name`; returns
    /// its id.
    pub async fn write(
        &self,
        path: &str,
        name: &str,
        value: &SecretValue,
        new: NewVersion,
    ) -> Result<String, PluginError> {
        let context = format!("write {path}");
        let parameters = SetSecretParameters {
            value: Some(value.expose().to_owned()),
            content_type: new.content_type,
            tags: Some(new.tags),
            secret_attributes: Some(SecretAttributes {
                enabled: Some(true),
                not_before: new.not_before.and_then(to_azure),
                expires: new.expires.and_then(to_azure),
                ..Default::default()
            }),
        };
        let content = parameters
            .try_into()
            .map_err(|e: azure_core::Error| error(&context, &e))?;
        self.acquire().await;
        let secret = self
            .client
            .set_secret(name, content, None)
            .await
            .and_then(|r| r.into_model())
            .map_err(|e| error(&context, &e))?;
        from_secret(&secret)
            .map(|v| v.id)
            .ok_or_else(|| PluginError::permanent(format!("{context}: no version id")))
    }

    /// Writes a new version of the staging secret of the secret named `name`.
    pub async fn write_staged(
        &self,
        path: &str,
        name: &str,
        value: &SecretValue,
        new: NewVersion,
    ) -> Result<String, PluginError> {
        self.write(path, &staging_name(name), value, new).await
    }

    /// Enables or disables one version of the secret named `name`.
    pub async fn set_version_enabled(
        &self,
        path: &str,
        name: &str,
        version: &str,
        enabled: bool,
    ) -> Result<(), PluginError> {
        self.update(path, name, version, Some(enabled), None).await
    }

    /// Replaces the tags of one version of the secret named `name`.
    pub async fn set_version_tags(
        &self,
        path: &str,
        name: &str,
        version: &str,
        tags: HashMap<String, String>,
    ) -> Result<(), PluginError> {
        self.update(path, name, version, None, Some(tags)).await
    }

    /// Disables a staged version; one already gone is fine. Staging secrets
    /// are never deleted: a soft-deleted name cannot be written again until
    /// it is purged.
    pub async fn disable_staged(
        &self,
        path: &str,
        name: &str,
        version: &str,
    ) -> Result<(), PluginError> {
        match self
            .set_version_enabled(path, &staging_name(name), version, false)
            .await
        {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Changes one version's attributes and/or tags.
    async fn update(
        &self,
        path: &str,
        name: &str,
        version: &str,
        enabled: Option<bool>,
        tags: Option<HashMap<String, String>>,
    ) -> Result<(), PluginError> {
        let parameters = UpdateSecretPropertiesParameters {
            secret_attributes: enabled.map(|enabled| SecretAttributes {
                enabled: Some(enabled),
                ..Default::default()
            }),
            tags,
            ..Default::default()
        };
        let context = format!("update version {version} of {path}");
        let content = parameters
            .try_into()
            .map_err(|e: azure_core::Error| error(&context, &e))?;
        let options = SecretClientUpdateSecretPropertiesOptions {
            secret_version: Some(version.to_owned()),
            ..Default::default()
        };
        self.acquire().await;
        self.client
            .update_secret_properties(name, content, Some(options))
            .await
            .map(|_| ())
            .map_err(|e| error(&context, &e))
    }
}
