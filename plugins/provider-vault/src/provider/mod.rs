//! [`VaultProvider`]: the struct and its construction, the custom metadata
//! keys Tenure keeps, [`ProviderInfo`], [`Provider`] (its hook) and
//! [`Leases`]. Each job trait is implemented in the module for its job:
//! `inventory` (`Catalog`), `reads` (`Reads`), `rotation` (`Writes`) and
//! `attributes` (`Attributes`); `kv` holds the KV v2 calls they share.

mod attributes;
mod inventory;
mod kv;
mod reads;
mod rotation;

use serde_json::Value;
use tenure_plugin_api::{
    LeaseRevocation, Leases, PluginError, Provider, ProviderCapabilities, ProviderInfo,
    async_trait, debug_provider,
};

use crate::config::VaultConfig;
use crate::leases;
use crate::session::{Session, SessionStats};

const PREVIOUS: &str = "tenure_previous_version";
const DISABLED: &str = "tenure_disabled";
const PROMOTED: &str = "tenure_promoted_token";
/// The token of the staged version, in the secret's own custom metadata.
const PENDING_TOKEN: &str = "tenure_pending";
/// When it was staged.
const PENDING_AT: &str = "tenure_pending_at";
/// The version that was current when it was staged: a promotion that finds
/// another current version knows something was written since.
const PENDING_BASE: &str = "tenure_pending_base";
/// Prefix of the staging annotations (`tenure_pending_note_reason`, ...).
const PENDING_NOTE: &str = "tenure_pending_note_";
const PENDING: &str = "pending:";

/// The vault provider.
pub struct VaultProvider {
    name: String,
    config: VaultConfig,
    session: Session,
}

impl std::fmt::Debug for VaultProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_provider(
            f,
            "VaultProvider",
            &self.name,
            ("mount", &self.config.mount),
        )
    }
}

/// A JSON string.
fn text(value: impl Into<String>) -> Value {
    Value::String(value.into())
}

impl VaultProvider {
    /// A provider named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: VaultConfig) -> Self {
        Self {
            name: name.into(),
            session: Session::new(config.clone()),
            config,
        }
    }

    /// How many logins and token renewals this provider has made.
    pub fn session_stats(&self) -> SessionStats {
        self.session.stats()
    }
}

impl ProviderInfo for VaultProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> ProviderCapabilities {
        <crate::Plugin as tenure_plugin_api::ProviderPlugin>::CAPABILITIES
    }
}

impl Provider for VaultProvider {
    fn leases(&self) -> Option<&dyn Leases> {
        Some(self)
    }
}

#[async_trait]
impl Leases for VaultProvider {
    async fn revoke_leases(&self, prefix: &str) -> Result<LeaseRevocation, PluginError> {
        let session = self.session.client().await?;
        leases::revoke_prefix(session.as_ref(), prefix).await
    }
}
