//! The one place every plugin is registered, and the running set of them.
//!
//! A provider or target is a `[providers.<name>]` / `[targets.<name>]` table
//! whose `type` key picks the plugin; the rest of the table is the plugin's
//! own config, which only the plugin's factory reads (see `registry`). Each
//! plugin sits behind a Cargo feature of the same name, so a small binary can
//! leave out what it does not use: adding a plugin is one line below.

mod account;
mod registry;

use std::sync::Arc;

use tenure_plugin_api::{Provider, Target};

pub use registry::{
    ProviderConfig, ProviderEntry, TargetConfig, TargetEntry, UnknownType, provider_types,
    provider_types_with, target_types,
};
pub(crate) use registry::{parse_provider, parse_target};

/// The provider plugins compiled into this binary.
const PROVIDERS: &[ProviderEntry] = &[
    #[cfg(feature = "provider-local")]
    ProviderEntry::of::<tenure_provider_local::Plugin>(),
    #[cfg(feature = "provider-vault")]
    ProviderEntry::of::<tenure_provider_vault::Plugin>(),
    #[cfg(feature = "provider-aws")]
    ProviderEntry::of::<tenure_provider_aws_secrets_manager::Plugin>(),
    #[cfg(feature = "provider-azure")]
    ProviderEntry::of::<tenure_provider_azure_key_vault::Plugin>(),
];

/// The target plugins compiled into this binary.
const TARGETS: &[TargetEntry] = &[
    #[cfg(feature = "target-generate")]
    TargetEntry::of::<tenure_target_generate::Plugin>(),
    #[cfg(feature = "target-exec")]
    TargetEntry::of::<tenure_target_exec::Plugin>(),
    #[cfg(feature = "target-postgres")]
    TargetEntry::of::<tenure_target_postgres::Plugin>(),
    #[cfg(feature = "target-redis")]
    TargetEntry::of::<tenure_target_redis::Plugin>(),
    #[cfg(feature = "target-mysql")]
    TargetEntry::of::<tenure_target_mysql::Plugin>(),
    #[cfg(feature = "target-aws-iam")]
    TargetEntry::of::<tenure_target_aws_iam::Plugin>(),
];

/// Why a plugin could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A provider failed to start.
    #[error("provider {name}: {message}")]
    Provider {
        /// The provider's name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// A target failed to start.
    #[error("target {name}: {message}")]
    Target {
        /// The target's name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Starts a provider (opens files, connects).
pub fn build_provider(
    name: &str,
    config: &ProviderConfig,
) -> Result<Arc<dyn Provider>, BuildError> {
    config.build(name).map_err(|e| BuildError::Provider {
        name: name.to_owned(),
        message: e.message().to_owned(),
    })
}

/// Starts a target.
pub fn build_target(name: &str, config: &TargetConfig) -> Result<Arc<dyn Target>, BuildError> {
    config.build(name).map_err(|e| BuildError::Target {
        name: name.to_owned(),
        message: e.message().to_owned(),
    })
}

/// The running providers and targets of one configuration.
#[derive(Clone, Default)]
pub struct Plugins {
    providers: std::collections::BTreeMap<String, Arc<dyn Provider>>,
    targets: std::collections::BTreeMap<String, Arc<dyn Target>>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("targets", &self.targets.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Plugins {
    /// Builds every configured provider and target.
    pub fn build(config: &crate::config::Config) -> Result<Self, BuildError> {
        let mut plugins = Self::default();
        for (name, provider) in &config.providers {
            plugins
                .providers
                .insert(name.clone(), build_provider(name, provider)?);
        }
        for (name, target) in &config.targets {
            plugins
                .targets
                .insert(name.clone(), build_target(name, target)?);
        }
        Ok(plugins)
    }

    /// Adds (or replaces) a provider; used by tests to inject a faulty one.
    pub fn insert_provider(&mut self, name: &str, provider: Arc<dyn Provider>) {
        self.providers.insert(name.to_owned(), provider);
    }

    /// Adds (or replaces) a target; used by tests to inject a faulty one.
    pub fn insert_target(&mut self, name: &str, target: Arc<dyn Target>) {
        self.targets.insert(name.to_owned(), target);
    }

    /// A provider by name.
    pub fn provider(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    /// A target by name.
    pub fn target(&self, name: &str) -> Option<&Arc<dyn Target>> {
        self.targets.get(name)
    }

    /// Every provider, by name.
    pub fn providers(&self) -> impl Iterator<Item = (&String, &Arc<dyn Provider>)> {
        self.providers.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plugin_type_is_registered_once() {
        for types in [provider_types(), target_types()] {
            let mut unique = types.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), types.len(), "{types:?}");
        }
    }

    #[cfg(all(feature = "provider-vault", feature = "provider-local"))]
    #[test]
    fn capabilities_are_known_before_a_plugin_is_built() {
        assert_eq!(provider_types_with(|c| c.leases), ["vault"]);
        assert!(provider_types_with(|c| c.pending_stage).contains(&"local"));
    }
}
