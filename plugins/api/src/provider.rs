//! [`Provider`]: a vault that stores secrets, with versions and stages: the
//! types it speaks in, the job traits it is made of ([`ProviderInfo`],
//! [`Catalog`], [`Reads`], [`Writes`], [`Attributes`]) and the hooks of
//! vendor-only features ([`Leases`], [`VaultEvents`], [`Revocation`]).
//!
//! Stages follow AWS Secrets Manager's model: at most one version is
//! `current` (what consumers read), at most one `pending` (staged by a
//! rotation, invisible to consumers until promoted) and at most one
//! `previous` (the version current before the last promotion, kept until the
//! grace period ends).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::{PluginError, SecretValue};

/// A version's stage label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// What consumers read.
    Current,
    /// Staged by a rotation, not yet promoted.
    Pending,
    /// The version current before the last promotion.
    Previous,
}

impl Stage {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Pending => "pending",
            Self::Previous => "previous",
        }
    }
}

/// A provider-specific version identifier (a number, a UUID, a KV version).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct VersionId(pub String);

impl std::fmt::Display for VersionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a provider knows about one version (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version's id.
    pub id: VersionId,
    /// When the version was written.
    pub created_at: DateTime<Utc>,
    /// Its stage labels (empty for a retired version).
    pub stages: Vec<Stage>,
    /// The idempotency token of the rotation run that staged it, if any.
    pub token: Option<String>,
    /// Whether the provider still serves this version's value when asked
    /// for it by id (a destroyed, deleted or disabled version is not).
    pub readable: bool,
}

impl VersionInfo {
    /// Whether the version carries `stage`.
    pub fn has(&self, stage: Stage) -> bool {
        self.stages.contains(&stage)
    }
}

/// What a provider knows about one secret (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMetadata {
    /// The secret's path inside the provider.
    pub path: String,
    /// Known versions, oldest first.
    pub versions: Vec<VersionInfo>,
    /// Tags (the conventional keys are `owner` and `workload`).
    pub tags: BTreeMap<String, String>,
    /// False once the secret has been disabled (revoked).
    pub enabled: bool,
    /// The provider's own expiry attribute (Azure `exp`), if it has one.
    pub expires_at: Option<DateTime<Utc>>,
}

impl SecretMetadata {
    /// The version carrying `stage`, if any.
    pub fn version(&self, stage: Stage) -> Option<&VersionInfo> {
        self.versions.iter().rev().find(|v| v.has(stage))
    }

    /// The current version's creation time: the credential's age is measured from it.
    pub fn current_created_at(&self) -> Option<DateTime<Utc>> {
        self.version(Stage::Current).map(|v| v.created_at)
    }
}

/// What a provider declares it supports: the plugin's factory
/// ([`crate::ProviderPlugin::CAPABILITIES`]) says it once, before the
/// provider is built, and [`ProviderInfo::capabilities`] answers the same.
/// The workflow consults `destroy_versions` (whether a retired version can
/// be made unreadable, or only loses its stage) and `tags`; the config
/// loader consults `leases`. What a provider lacks fails with
/// [`crate::ErrorKind::Unsupported`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderCapabilities {
    /// Can hold a pending version consumers do not see.
    pub pending_stage: bool,
    /// Can disable a secret without deleting it.
    pub disable: bool,
    /// Stores tags.
    pub tags: bool,
    /// Can make one old version unreadable (destroy or disable it). AWS
    /// Secrets Manager cannot: a retired version loses its staging label
    /// and AWS removes it in its own time.
    pub destroy_versions: bool,
    /// Holds dynamic-secret leases a record can name and revoke
    /// ([`Provider::leases`] answers).
    pub leases: bool,
}

impl ProviderCapabilities {
    /// Nothing supported; set the fields a provider has.
    pub const NONE: Self = Self {
        pending_stage: false,
        disable: false,
        tags: false,
        destroy_versions: false,
        leases: false,
    };

    /// A vault that keeps versions and stages: a pending stage, disable,
    /// tags and destroying one version, no leases. A provider that differs
    /// names only the difference:
    /// `ProviderCapabilities { leases: true, ..ProviderCapabilities::STAGED }`.
    pub const STAGED: Self = Self {
        pending_stage: true,
        disable: true,
        tags: true,
        destroy_versions: true,
        ..Self::NONE
    };
}

/// What a consumer reading a secret's current value gets now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerRead {
    /// The vault serves the value.
    Served,
    /// The vault refuses it; what it answered (never a value).
    Refused(String),
}

/// The outcome of revoking a workload's dynamic-secret leases.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeaseRevocation {
    /// The lease prefix, e.g. `database/creds/orders`.
    pub prefix: String,
    /// Leases found under the prefix before revoking.
    pub found: usize,
    /// Leases found after revoking (a successful revocation proves 0).
    pub remaining: usize,
}

/// What the caller of [`Writes::promote_with`] already holds, so a
/// provider can promote without reading it back.
#[derive(Debug, Default, Clone, Copy)]
pub struct Promotion<'a> {
    /// The pending version's value, exactly as it was staged.
    pub value: Option<&'a SecretValue>,
    /// Tags to merge once promoted (as [`Attributes::set_tags`]); ignored by
    /// providers without tags.
    pub tags: Option<&'a BTreeMap<String, String>>,
}

/// A vault: its name and capabilities, the jobs it does ([`Catalog`],
/// [`Reads`], [`Writes`], [`Attributes`]) and the hooks of vendor-only
/// features. Every job method is idempotent: calling it twice with the same
/// arguments leaves the same state as calling it once.
///
/// All the job methods are callable on a `dyn Provider`; on a concrete
/// provider type, import the job trait.
pub trait Provider: ProviderInfo + Catalog + Reads + Writes + Attributes + 'static {
    /// The dynamic-secret leases hook, for a provider with the `leases`
    /// capability (OpenBao / Vault).
    fn leases(&self) -> Option<&dyn Leases> {
        None
    }

    /// The vault-events hook, for a provider whose vault sends events that
    /// name its secrets (Azure Event Grid).
    fn vault_events(&self) -> Option<&dyn VaultEvents> {
        None
    }

    /// The revocation hook, for a provider that revokes otherwise than by
    /// disabling (AWS Secrets Manager deletes with a recovery window).
    /// Without it a revocation disables the secret.
    fn revocation(&self) -> Option<&dyn Revocation> {
        None
    }
}

/// A provider's `Debug`: its type, its configured name and the one field
/// that tells it apart (a region, a mount, a URL, a path), and never a
/// client or a credential.
pub fn debug_provider(
    f: &mut std::fmt::Formatter<'_>,
    type_name: &str,
    name: &str,
    (field, value): (&str, &dyn std::fmt::Debug),
) -> std::fmt::Result {
    f.debug_struct(type_name)
        .field("name", &name)
        .field(field, value)
        .finish_non_exhaustive()
}

/// Which provider this is: its name and what it supports. The job traits
/// whose defaults need to know (`Writes::promote_with` consults the
/// capabilities, `Attributes::set_tags` names the provider) build on it;
/// [`Provider`] cannot be their base, being made of them.
pub trait ProviderInfo: Send + Sync {
    /// The configured name: the part of an address before the `:`.
    fn name(&self) -> &str;

    /// What this provider supports.
    fn capabilities(&self) -> ProviderCapabilities;
}

/// Inventory: which secrets the provider holds, and what it knows of each.
#[async_trait::async_trait]
pub trait Catalog: Send + Sync {
    /// Every secret the provider exposes to Tenure.
    async fn list(&self) -> Result<Vec<SecretMetadata>, PluginError>;

    /// One secret's metadata.
    async fn describe(&self, path: &str) -> Result<SecretMetadata, PluginError>;
}

/// Reading a secret's values: by stage, by version, and as a consumer.
#[async_trait::async_trait]
pub trait Reads: Send + Sync {
    /// Reads the version carrying `stage`.
    async fn read(&self, path: &str, stage: Stage) -> Result<SecretValue, PluginError>;

    /// Reads one version by id.
    async fn read_version(
        &self,
        path: &str,
        version: &VersionId,
    ) -> Result<SecretValue, PluginError>;

    /// Reads the current value as a consumer would, through the vault's own
    /// access rules and not through any bookkeeping of Tenure's, to prove a
    /// disabled secret stays unreadable. An error means the vault could not
    /// be asked. The default reads the current stage.
    async fn consumer_read(&self, path: &str) -> Result<ConsumerRead, PluginError> {
        match self.read(path, Stage::Current).await {
            Ok(_) => Ok(ConsumerRead::Served),
            Err(err) if err.kind() == crate::ErrorKind::Retryable => Err(err),
            Err(err) => Ok(ConsumerRead::Refused(format!(
                "a read of the current value was refused ({})",
                err.kind()
            ))),
        }
    }
}

/// Writing a secret's versions: the current value, and a rotation's
/// pending version staged, promoted, discarded, and the old one retired.
#[async_trait::async_trait]
pub trait Writes: Attributes {
    /// Writes a new current version directly (used to create secrets, not by rotations).
    async fn put_current(
        &self,
        path: &str,
        value: &SecretValue,
        tags: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError>;

    /// Stages `value` as the pending version, recording `annotations` (when
    /// and why) with it.
    ///
    /// Idempotent by `token`: when a pending version staged with the same
    /// token exists, its id is returned and `value` is ignored. A pending
    /// version staged with another token is a [`crate::ErrorKind::Conflict`].
    async fn stage_pending(
        &self,
        path: &str,
        token: &str,
        value: &SecretValue,
        annotations: &BTreeMap<String, String>,
    ) -> Result<VersionId, PluginError>;

    /// Makes `version` current; the former current becomes previous. A
    /// version that is already current is success.
    async fn promote(&self, path: &str, version: &VersionId) -> Result<(), PluginError>;

    /// [`Writes::promote`], then merges `promotion.tags`. A provider that
    /// can use what `promotion` holds to make fewer calls overrides this;
    /// the outcome must be the same.
    async fn promote_with(
        &self,
        path: &str,
        version: &VersionId,
        promotion: Promotion<'_>,
    ) -> Result<(), PluginError> {
        self.promote(path, version).await?;
        match promotion.tags {
            Some(tags) if self.capabilities().tags && !tags.is_empty() => {
                self.set_tags(path, tags).await
            }
            _ => Ok(()),
        }
    }

    /// Drops a pending version. Already gone is success.
    async fn discard_pending(&self, path: &str, version: &VersionId) -> Result<(), PluginError>;

    /// Destroys the value of `version` once it is no longer current (end of
    /// the grace period). Already gone is success.
    async fn retire(&self, path: &str, version: &VersionId) -> Result<(), PluginError>;
}

/// A secret's own attributes: whether it is enabled, and its tags.
#[async_trait::async_trait]
pub trait Attributes: ProviderInfo {
    /// Enables or disables the secret (a disabled secret cannot be read).
    async fn set_enabled(&self, path: &str, enabled: bool) -> Result<(), PluginError>;

    /// Merges `tags` into the secret's tags (a rotation records the record's
    /// owner this way). Providers without tags keep the default, which
    /// fails as unsupported.
    async fn set_tags(
        &self,
        path: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), PluginError> {
        let _ = (path, tags);
        Err(PluginError::unsupported(format!(
            "provider {} does not store tags",
            self.name()
        )))
    }
}

/// Dynamic-secret leases (OpenBao / Vault database and cloud engines).
#[async_trait::async_trait]
pub trait Leases: Send + Sync {
    /// Revokes every lease under `prefix` and counts the leases left, which
    /// must be none.
    async fn revoke_leases(&self, prefix: &str) -> Result<LeaseRevocation, PluginError>;
}

/// A vault's own events about its secrets.
pub trait VaultEvents: Send + Sync {
    /// The path of the secret an event names (Azure Event Grid: `VaultName`
    /// and `ObjectName`), or `None` when the event is not about this
    /// provider's vault or names no secret Tenure manages.
    fn path_for_event(&self, vault: &str, name: &str) -> Option<String>;
}

/// How a provider makes a revoked secret unreadable when it cannot simply
/// disable it.
#[async_trait::async_trait]
pub trait Revocation: Send + Sync {
    /// The last step of a revocation; `recovery_window` is the record's
    /// (how long a deleted secret can still be restored), if it has one.
    async fn disable_revoked(
        &self,
        path: &str,
        recovery_window: Option<std::time::Duration>,
    ) -> Result<(), PluginError>;
}
