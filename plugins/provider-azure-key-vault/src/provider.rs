//! [`AzureKeyVaultProvider`]: the [`Provider`] trait over Key Vault secret
//! versions, their attributes and tags (the representation is described in
//! the crate documentation).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{Secret as AzureSecret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};
use azure_security_keyvault_secrets::models::{
    Secret, SecretAttributes, SecretClientGetSecretOptions,
    SecretClientListSecretPropertiesOptions, SecretClientListSecretPropertiesVersionsOptions,
    SecretClientUpdateSecretPropertiesOptions, SecretProperties, SetSecretParameters,
    UpdateSecretPropertiesParameters,
};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tenure_plugin_api::{
    ErrorKind, PluginError, Provider, ProviderCapabilities, SecretMetadata, SecretValue, Stage,
    VersionId, VersionInfo, async_trait,
};

use crate::config::{AzureKeyVaultConfig, Credential, check_url};
use crate::convert::{
    STAGING_SUFFIX, error, is_disabled, is_not_found, name_of, path_of, staging_name, to_azure,
    to_chrono,
};

/// Tags Tenure keeps for itself start with this; they are not shown as tags.
pub const OWN_TAG: &str = "tenure-";
/// On a promoted version: the version it replaced (the previous one).
pub const TAG_PREVIOUS: &str = "tenure-previous-version";
/// On a promoted version: when it was promoted (RFC 3339).
pub const TAG_ROTATED_AT: &str = "tenure-rotated-at";
/// On a promoted version: the staged version whose value it holds.
pub const TAG_PROMOTED_FROM: &str = "tenure-promoted-from";
/// On a staged and a promoted version: the rotation's token (run id).
pub const TAG_RUN: &str = "tenure-run";
/// On a staged version: `pending`.
pub const TAG_STAGE: &str = "tenure-stage";
/// Annotations of a staged version are kept as tags with this prefix.
const TAG_NOTE: &str = "tenure-note-";
/// Key Vault's most tags on one version.
const MAX_TAGS: usize = 15;
/// Key Vault's longest tag value.
const MAX_TAG_VALUE: usize = 256;
/// How many secrets' versions the inventory fetches at once.
const INVENTORY_CONCURRENCY: usize = 8;
/// Versions per page when listing versions (Key Vault's maximum).
const VERSION_PAGE: i32 = 25;

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

/// The Azure Key Vault provider.
pub struct AzureKeyVaultProvider {
    name: String,
    vault_url: String,
    client: SecretClient,
    budget: DefaultDirectRateLimiter,
    page_size: i32,
    expires_after: Option<Duration>,
}

impl std::fmt::Debug for AzureKeyVaultProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureKeyVaultProvider")
            .field("name", &self.name)
            .field("vault_url", &self.vault_url)
            .finish_non_exhaustive()
    }
}

/// One version's properties (never its value).
#[derive(Debug, Clone)]
struct Version {
    id: String,
    created: Option<DateTime<Utc>>,
    enabled: bool,
    expires: Option<DateTime<Utc>>,
    not_before: Option<DateTime<Utc>>,
    content_type: Option<String>,
    tags: HashMap<String, String>,
}

impl Version {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// The last segment of a Key Vault object id
/// (`https://<vault>/secrets/<name>/<version>`).
fn last_segment(id: &str) -> Option<&str> {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// The secret name of an id (`https://<vault>/secrets/<name>[/<version>]`).
/// Whether `vault` (an Event Grid `VaultName`) is the vault at `url`: the
/// first label of its host, compared without case.
fn vault_matches(url: &str, vault: &str) -> bool {
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

fn name_in_id(id: &str) -> Option<&str> {
    let (_, rest) = id.split_once("/secrets/")?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

fn version_of(
    id: Option<&str>,
    attributes: Option<&SecretAttributes>,
    content_type: Option<&String>,
    tags: Option<&HashMap<String, String>>,
) -> Option<Version> {
    let id = last_segment(id?)?.to_owned();
    Some(Version {
        id,
        created: attributes.and_then(|a| a.created).and_then(to_chrono),
        // Key Vault treats a missing `enabled` as enabled.
        enabled: attributes.and_then(|a| a.enabled).unwrap_or(true),
        expires: attributes.and_then(|a| a.expires).and_then(to_chrono),
        not_before: attributes.and_then(|a| a.not_before).and_then(to_chrono),
        content_type: content_type.cloned(),
        tags: tags.cloned().unwrap_or_default(),
    })
}

fn from_properties(p: &SecretProperties) -> Option<Version> {
    version_of(
        p.id.as_deref(),
        p.attributes.as_ref(),
        p.content_type.as_ref(),
        p.tags.as_ref(),
    )
}

fn from_secret(s: &Secret) -> Option<Version> {
    version_of(
        s.id.as_deref(),
        s.attributes.as_ref(),
        s.content_type.as_ref(),
        s.tags.as_ref(),
    )
}

/// What Tenure sees of one secret: its versions, which one is current and
/// which previous, and the staged (pending) version, if any.
#[derive(Debug)]
struct State {
    /// Every version of the secret, oldest first, the current one last.
    versions: Vec<Version>,
    /// The staged version (a version of the staging secret).
    pending: Option<Version>,
}

impl State {
    /// Orders `versions` oldest first with the current one last. Key Vault
    /// keeps creation times in whole seconds, so versions written within
    /// one second tie; a version another one names as its previous is the
    /// older of the two.
    fn new(mut versions: Vec<Version>, pending: Option<Version>) -> Self {
        versions.sort_by_key(|v| v.created);
        let replaced: HashSet<String> = versions
            .iter()
            .filter_map(|v| v.tag(TAG_PREVIOUS).map(str::to_owned))
            .collect();
        if let Some(newest) = versions.last().map(|v| v.created) {
            // Among the newest, the one no other version replaced is current.
            let current = versions
                .iter()
                .rposition(|v| v.created == newest && !replaced.contains(&v.id));
            if let Some(index) = current {
                let current = versions.remove(index);
                versions.push(current);
            }
        }
        Self { versions, pending }
    }

    fn current(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// The version the current one replaced, while it is enabled.
    fn previous(&self) -> Option<&Version> {
        let current = self.current()?;
        let id = current.tag(TAG_PREVIOUS)?;
        self.versions
            .iter()
            .find(|v| v.id == id && v.id != current.id && v.enabled)
    }

    fn find(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    fn metadata(&self, path: &str) -> SecretMetadata {
        let current = self.current().map(|v| v.id.as_str());
        let previous = self.previous().map(|v| v.id.as_str());
        let mut versions: Vec<VersionInfo> = self
            .versions
            .iter()
            .map(|v| {
                let stages = if Some(v.id.as_str()) == current {
                    vec![Stage::Current]
                } else if Some(v.id.as_str()) == previous {
                    vec![Stage::Previous]
                } else {
                    Vec::new()
                };
                VersionInfo {
                    id: VersionId(v.id.clone()),
                    created_at: v.created.unwrap_or(DateTime::UNIX_EPOCH),
                    stages,
                    token: None,
                    // Key Vault refuses to serve a disabled version.
                    readable: v.enabled,
                }
            })
            .collect();
        if let Some(pending) = &self.pending {
            versions.push(VersionInfo {
                id: VersionId(pending.id.clone()),
                created_at: pending.created.unwrap_or(DateTime::UNIX_EPOCH),
                stages: vec![Stage::Pending],
                token: pending.tag(TAG_RUN).map(str::to_owned),
                readable: pending.enabled,
            });
        }
        let current = self.current();
        SecretMetadata {
            path: path.to_owned(),
            versions,
            tags: current
                .map(|v| {
                    v.tags
                        .iter()
                        .filter(|(k, _)| !k.starts_with(OWN_TAG))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            enabled: current.is_some_and(|v| v.enabled),
            expires_at: current.and_then(|v| v.expires),
        }
    }
}

/// Whether a staging-secret version is a live pending version.
fn is_pending(v: &Version) -> bool {
    v.enabled && v.tag(TAG_STAGE) == Some("pending")
}

/// The user's tags of `version` (Tenure's own left out).
fn user_tags(version: Option<&Version>) -> HashMap<String, String> {
    version
        .map(|v| {
            v.tags
                .iter()
                .filter(|(k, _)| !k.starts_with(OWN_TAG))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Drops Tenure's optional tags, in order, until Key Vault's limit of 15
/// tags is met (the user's own tags are never dropped).
fn fit_tags(tags: &mut HashMap<String, String>, optional: &[&str]) {
    for key in optional {
        if tags.len() <= MAX_TAGS {
            return;
        }
        tags.remove(*key);
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_TAG_VALUE).collect()
}

fn now_rfc3339(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn attributes(
    enabled: bool,
    not_before: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
) -> SecretAttributes {
    SecretAttributes {
        enabled: Some(enabled),
        not_before: not_before.and_then(to_azure),
        expires: expires.and_then(to_azure),
        ..Default::default()
    }
}

fn value_of(path: &str, mut secret: Secret) -> Result<SecretValue, PluginError> {
    secret
        .value
        .take()
        .map(SecretValue::new)
        .ok_or_else(|| PluginError::permanent(format!("read {path}: the response has no value")))
}

/// Builds the token credential a config names.
fn credential_of(config: &AzureKeyVaultConfig) -> Result<Arc<dyn TokenCredential>, BuildError> {
    let credential: Arc<dyn TokenCredential> = match &config.credential {
        Credential::DeveloperTools => DeveloperToolsCredential::new(None)
            .map_err(|e| BuildError::Credential(e.to_string()))?,
        Credential::ManagedIdentity { client_id } => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: client_id.clone().map(UserAssignedId::ClientId),
                ..Default::default()
            };
            ManagedIdentityCredential::new(Some(options))
                .map_err(|e| BuildError::Credential(e.to_string()))?
        }
        Credential::ClientSecret {
            tenant_id,
            client_id,
            secret,
            authority_host,
        } => {
            let secret = secret.resolve()?;
            let mut options = ClientSecretCredentialOptions::default();
            if let Some(host) = authority_host {
                let mut cloud = azure_core::cloud::CustomConfiguration::default();
                cloud.authority_host = host.clone();
                options.client_options.cloud = Some(Arc::new(cloud.into()));
            }
            ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                AzureSecret::new(secret.expose().to_owned()),
                Some(options),
            )
            .map_err(|e| BuildError::Credential(e.to_string()))?
        }
    };
    Ok(credential)
}

impl AzureKeyVaultProvider {
    /// A provider named `name`: resolves the vault URL and the credential
    /// the config names. Touches no network (tokens are fetched on first use).
    pub fn new(name: impl Into<String>, config: &AzureKeyVaultConfig) -> Result<Self, BuildError> {
        config.validate().map_err(BuildError::Config)?;
        let credential = credential_of(config)?;
        let retry = RetryOptions::exponential(ExponentialRetryOptions {
            max_retries: config.max_retries,
            max_total_elapsed: azure_core::time::Duration::seconds(30),
            ..ExponentialRetryOptions::default()
        });
        let options = ClientOptions {
            retry,
            ..ClientOptions::default()
        };
        Self::with_credential(name, config, credential, options)
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
        let options = SecretClientOptions {
            client_options,
            ..Default::default()
        };
        let client = SecretClient::new(&vault_url, credential, Some(options))
            .map_err(|e| BuildError::Client(e.to_string()))?;
        let rate = NonZeroU32::new(config.rate).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            name: name.into(),
            vault_url,
            client,
            budget: RateLimiter::direct(Quota::per_second(rate)),
            page_size: i32::try_from(config.page_size).unwrap_or(25),
            expires_after: config.expires_after,
        })
    }

    /// Waits until one more call fits the client-side budget.
    async fn acquire(&self) {
        self.budget.until_ready().await;
    }

    /// The `exp` of a version written now, replacing `current`.
    fn expiry(&self, now: DateTime<Utc>, current: Option<&Version>) -> Option<DateTime<Utc>> {
        if let Some(after) = self.expires_after {
            return chrono::TimeDelta::from_std(after)
                .ok()
                .and_then(|d| now.checked_add_signed(d));
        }
        let current = current?;
        let start = current.not_before.or(current.created)?;
        let lifetime = current.expires? - start;
        (lifetime > chrono::TimeDelta::zero()).then(|| now + lifetime)
    }

    /// Every version of the secret named `name`; an empty list when it does
    /// not exist.
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
    async fn pending_of(&self, name: &str) -> Result<Option<Version>, PluginError> {
        let staging = staging_name(name);
        let versions = self
            .versions_of(&staging)
            .await
            .map_err(|e| error(&format!("list versions of {staging}"), &e))?;
        let mut live: Vec<Version> = versions.into_iter().filter(is_pending).collect();
        live.sort_by_key(|v| v.created);
        Ok(live.pop())
    }

    /// The secret's state; NotFound when it has no version.
    async fn state(&self, path: &str, name: &str) -> Result<State, PluginError> {
        let versions = self
            .versions_of(name)
            .await
            .map_err(|e| error(&format!("list versions of {path}"), &e))?;
        if versions.is_empty() {
            return Err(PluginError::not_found(format!("secret {path}")));
        }
        let pending = self.pending_of(name).await?;
        Ok(State::new(versions, pending))
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

    /// Writes a new version of the secret named `name`; returns its id.
    async fn set(
        &self,
        path: &str,
        name: &str,
        value: &SecretValue,
        content_type: Option<String>,
        tags: HashMap<String, String>,
        attributes: SecretAttributes,
    ) -> Result<String, PluginError> {
        let parameters = SetSecretParameters {
            value: Some(value.expose().to_owned()),
            content_type,
            tags: Some(tags),
            secret_attributes: Some(attributes),
        };
        let content = parameters
            .try_into()
            .map_err(|e: azure_core::Error| error(&format!("write {path}"), &e))?;
        self.acquire().await;
        let secret = self
            .client
            .set_secret(name, content, None)
            .await
            .and_then(|r| r.into_model())
            .map_err(|e| error(&format!("write {path}"), &e))?;
        from_secret(&secret)
            .map(|v| v.id)
            .ok_or_else(|| PluginError::permanent(format!("write {path}: no version id")))
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

    /// Disables a staged version (staging secrets are never deleted: a
    /// soft-deleted name cannot be written again until it is purged).
    async fn disable_staged(
        &self,
        path: &str,
        name: &str,
        version: &str,
    ) -> Result<(), PluginError> {
        match self
            .update(path, &staging_name(name), version, Some(false), None)
            .await
        {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Writes the value of `source` (a staged or an older version) as the
    /// new current version and records what it replaced.
    async fn write_promoted(
        &self,
        path: &str,
        name: &str,
        state: &State,
        value: &SecretValue,
        source: &Version,
    ) -> Result<(), PluginError> {
        let now = Utc::now();
        let current = state.current();
        let mut tags = user_tags(current);
        if let Some(current) = current {
            tags.insert(TAG_PREVIOUS.to_owned(), current.id.clone());
        }
        tags.insert(TAG_ROTATED_AT.to_owned(), now_rfc3339(now));
        tags.insert(TAG_PROMOTED_FROM.to_owned(), source.id.clone());
        if let Some(run) = source.tag(TAG_RUN) {
            tags.insert(TAG_RUN.to_owned(), run.to_owned());
        }
        fit_tags(&mut tags, &[TAG_RUN, TAG_ROTATED_AT]);
        let content_type = current
            .and_then(|v| v.content_type.clone())
            .or_else(|| source.content_type.clone());
        let id = self
            .set(
                path,
                name,
                value,
                content_type,
                tags,
                attributes(true, Some(now), self.expiry(now, current)),
            )
            .await?;
        tracing::debug!(secret = %path, version = %id, replaced = ?current.map(|v| &v.id), "Promoted a new version.");
        Ok(())
    }
}

#[async_trait]
impl Provider for AzureKeyVaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        ProviderCapabilities {
            pending_stage: true,
            disable: true,
            tags: true,
            destroy_versions: true,
        }
    }

    fn path_for_event(&self, vault: &str, name: &str) -> Option<String> {
        vault_matches(&self.vault_url, vault)
            .then(|| path_of(name))
            .flatten()
    }

    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError> {
        let options = SecretClientListSecretPropertiesOptions {
            maxresults: Some(self.page_size),
            ..Default::default()
        };
        let mut pages = self
            .client
            .list_secret_properties(Some(options))
            .map_err(|e| error("list secrets", &e))?
            .into_pages();
        let mut names = Vec::new();
        let mut staged = HashSet::new();
        loop {
            self.acquire().await;
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page
                .and_then(|p| p.into_model())
                .map_err(|e| error("list secrets", &e))?;
            for item in &page.value {
                // Secrets that back certificates are the certificate's to rotate.
                if item.managed == Some(true) {
                    continue;
                }
                let Some(name) = item.id.as_deref().and_then(name_in_id) else {
                    continue;
                };
                if let Some(base) = name.strip_suffix(STAGING_SUFFIX) {
                    // The listing shows the newest version's attributes and tags.
                    if from_properties(item).is_some_and(|v| is_pending(&v)) {
                        staged.insert(base.to_owned());
                    }
                    continue;
                }
                match path_of(name) {
                    Some(path) => names.push((name.to_owned(), path)),
                    None => {
                        tracing::debug!(name, "Skipped a secret whose name no Tenure path maps to.")
                    }
                }
            }
        }
        let staged = &staged;
        stream::iter(names)
            .map(|(name, path)| async move {
                let versions = self
                    .versions_of(&name)
                    .await
                    .map_err(|e| error(&format!("list versions of {path}"), &e))?;
                if versions.is_empty() {
                    // Deleted between the two calls.
                    return Ok(None);
                }
                let pending = if staged.contains(&name) {
                    self.pending_of(&name).await?
                } else {
                    None
                };
                Ok(Some(State::new(versions, pending).metadata(&path)))
            })
            .buffered(INVENTORY_CONCURRENCY)
            .try_filter_map(|m| async move { Ok(m) })
            .try_collect()
            .await
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError> {
        let name = name_of(path)?;
        Ok(self.state(path, &name).await?.metadata(path))
    }

    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError> {
        let name = name_of(path)?;
        match stage {
            // What a consumer reads: the newest version, refused when disabled.
            Stage::Current => self
                .get(path, &name, None)
                .await
                .map_err(|e| error(&format!("read {path}"), &e)),
            Stage::Previous => {
                let state = self.state(path, &name).await?;
                let id = state.previous().map(|v| v.id.clone()).ok_or_else(|| {
                    PluginError::not_found(format!("{path} has no previous version"))
                })?;
                self.read_version(path, &VersionId(id)).await
            }
            Stage::Pending => {
                let pending = self.pending_of(&name).await?.ok_or_else(|| {
                    PluginError::not_found(format!("{path} has no pending version"))
                })?;
                self.read_version(path, &VersionId(pending.id)).await
            }
        }
    }

    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError> {
        let name = name_of(path)?;
        let context = format!("read version {version} of {path}");
        let found = match self.get(path, &name, Some(&version.0)).await {
            Err(e) if is_not_found(&e) => {
                self.get(path, &staging_name(&name), Some(&version.0)).await
            }
            other => other,
        };
        match found {
            Ok(value) => Ok(value),
            // A retired (disabled) version is gone as far as Tenure is concerned.
            Err(e) if is_disabled(&e) => Err(PluginError::not_found(format!(
                "{context}: the version is disabled"
            ))),
            Err(e) => Err(error(&context, &e)),
        }
    }

    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let name = name_of(path)?;
        let state = match self.state(path, &name).await {
            Ok(state) => Some(state),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let current = state.as_ref().and_then(State::current);
        let mut all = user_tags(current);
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(current) = current {
            // Orders the two versions even within one second; a disabled
            // version is never shown as previous.
            all.insert(TAG_PREVIOUS.to_owned(), current.id.clone());
        }
        fit_tags(&mut all, &[TAG_PREVIOUS]);
        let now = Utc::now();
        let id = self
            .set(
                path,
                &name,
                value,
                current.and_then(|v| v.content_type.clone()),
                all,
                attributes(true, None, self.expiry(now, current)),
            )
            .await?;
        Ok(VersionId(id))
    }

    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError> {
        let name = name_of(path)?;
        if token.is_empty() || token.len() > MAX_TAG_VALUE {
            return Err(PluginError::permanent(
                "a staging token must be 1 to 256 characters",
            ));
        }
        let state = self.state(path, &name).await?;
        if let Some(pending) = &state.pending {
            return match pending.tag(TAG_RUN) {
                Some(run) if run == token => Ok(VersionId(pending.id.clone())),
                other => Err(PluginError::conflict(format!(
                    "{path} already has a pending version from rotation {}",
                    other.unwrap_or("(unknown)")
                ))),
            };
        }
        let mut tags = HashMap::new();
        tags.insert(TAG_STAGE.to_owned(), "pending".to_owned());
        tags.insert(TAG_RUN.to_owned(), token.to_owned());
        // Key Vault keeps at most 15 tags: two are ours, the rest may be notes.
        for (key, note) in annotations.iter().take(13) {
            tags.insert(format!("{TAG_NOTE}{key}"), truncate(note));
        }
        let id = self
            .set(
                path,
                &staging_name(&name),
                value,
                state.current().and_then(|v| v.content_type.clone()),
                tags,
                attributes(true, None, None),
            )
            .await?;
        tracing::debug!(secret = %path, version = %id, "Staged a pending version.");
        Ok(VersionId(id))
    }

    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.state(path, &name).await?;
        let current = state.current();
        if current.is_some_and(|v| v.id == version.0) {
            return Ok(());
        }
        if current.and_then(|v| v.tag(TAG_PROMOTED_FROM)) == Some(version.0.as_str()) {
            // Promoted already (perhaps before a crash): finish the cleanup.
            return self.disable_staged(path, &name, &version.0).await;
        }
        if let Some(pending) = state.pending.as_ref().filter(|p| p.id == version.0) {
            let value = self
                .get(path, &staging_name(&name), Some(&pending.id))
                .await
                .map_err(|e| error(&format!("read pending version {version} of {path}"), &e))?;
            self.write_promoted(path, &name, &state, &value, pending)
                .await?;
            return self.disable_staged(path, &name, &pending.id).await;
        }
        if let Some(older) = state.find(&version.0) {
            // An older version made current again: its value as a new version.
            let value = self
                .get(path, &name, Some(&older.id))
                .await
                .map_err(|e| error(&format!("read version {version} of {path}"), &e))?;
            return self
                .write_promoted(path, &name, &state, &value, older)
                .await;
        }
        Err(PluginError::not_found(format!(
            "version {version} of {path}"
        )))
    }

    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        match self.pending_of(&name).await? {
            Some(pending) if pending.id == version.0 => {
                self.disable_staged(path, &name, &pending.id).await
            }
            _ => Ok(()),
        }
    }

    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = match self.state(path, &name).await {
            Ok(state) => state,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if state.current().is_some_and(|v| v.id == version.0) {
            return Err(PluginError::conflict(format!(
                "version {version} of {path} is current and cannot be retired"
            )));
        }
        if let Some(found) = state.find(&version.0) {
            if found.enabled {
                self.update(path, &name, &found.id, Some(false), None)
                    .await?;
            }
            return Ok(());
        }
        if let Some(pending) = state.pending.as_ref().filter(|p| p.id == version.0) {
            return self.disable_staged(path, &name, &pending.id).await;
        }
        Ok(())
    }

    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.state(path, &name).await?;
        let Some(current) = state.current() else {
            return Err(PluginError::not_found(format!("secret {path}")));
        };
        if current.enabled == enabled {
            return Ok(());
        }
        self.update(path, &name, &current.id, Some(enabled), None)
            .await
    }

    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let name = name_of(path)?;
        let state = self.state(path, &name).await?;
        let Some(current) = state.current() else {
            return Err(PluginError::not_found(format!("secret {path}")));
        };
        let mut merged = current.tags.clone();
        merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if merged == current.tags {
            return Ok(());
        }
        self.update(path, &name, &current.id, None, Some(merged))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn version(id: &str, created: i64, previous: Option<&str>) -> Version {
        let mut tags = HashMap::new();
        if let Some(previous) = previous {
            tags.insert(TAG_PREVIOUS.to_owned(), previous.to_owned());
        }
        Version {
            id: id.to_owned(),
            created: DateTime::from_timestamp(created, 0),
            enabled: true,
            expires: None,
            not_before: None,
            content_type: None,
            tags,
        }
    }

    #[test]
    fn current_is_newest_and_ties_follow_the_previous_chain() {
        let state = State::new(
            vec![
                version("b", 10, Some("a")),
                version("a", 10, None),
                version("old", 5, None),
            ],
            None,
        );
        assert_eq!(state.current().map(|v| v.id.as_str()), Some("b"));
        assert_eq!(state.previous().map(|v| v.id.as_str()), Some("a"));
        let meta = state.metadata("p");
        assert_eq!(
            meta.version(Stage::Current).map(|v| v.id.0.as_str()),
            Some("b")
        );
        assert_eq!(
            meta.version(Stage::Previous).map(|v| v.id.0.as_str()),
            Some("a")
        );
        assert_eq!(meta.versions.first().map(|v| v.id.0.as_str()), Some("old"));
    }

    #[test]
    fn optional_tags_make_room_for_the_users() {
        let mut tags: HashMap<String, String> =
            (0..13).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        for key in [TAG_PREVIOUS, TAG_PROMOTED_FROM, TAG_RUN, TAG_ROTATED_AT] {
            tags.insert(key.to_owned(), "x".to_owned());
        }
        fit_tags(&mut tags, &[TAG_RUN, TAG_ROTATED_AT]);
        assert_eq!(tags.len(), 15);
        assert!(tags.contains_key(TAG_PREVIOUS) && tags.contains_key(TAG_PROMOTED_FROM));
    }

    #[test]
    fn ids_and_names() {
        let id = "https://v.vault.azure.net/secrets/db--password/0123456789abcdef0123456789abcdef";
        assert_eq!(last_segment(id), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(name_in_id(id), Some("db--password"));
        assert_eq!(name_in_id("https://v.vault.azure.net/secrets/x"), Some("x"));
    }
}
