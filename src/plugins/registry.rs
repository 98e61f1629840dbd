//! The registry of compiled-in plugin factories, and the configs they read.
//!
//! Each plugin crate's factory ([`ProviderPlugin`] / [`TargetPlugin`]) is
//! erased here into a [`ProviderConfig`] / [`TargetConfig`]: a parsed table
//! that can resolve its paths, validate itself, say what it can do and build
//! the running plugin, without the core knowing the plugin's config type.

use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use tenure_plugin_api::{
    AccountSyntax, ConfigDir, PluginError, Provider, ProviderCapabilities, ProviderPlugin, Target,
    TargetCapabilities, TargetPlugin,
};

use crate::config::document::plugin_tables::PluginTable;

/// One compiled-in provider type.
#[derive(Clone, Copy)]
pub struct ProviderEntry {
    type_name: &'static str,
    capabilities: ProviderCapabilities,
    parse: fn(&mut PluginTable<'_, '_>) -> Option<ProviderConfig>,
}

impl ProviderEntry {
    /// The entry of plugin `P`.
    pub const fn of<P: ProviderPlugin>() -> Self {
        Self {
            type_name: P::TYPE,
            capabilities: P::CAPABILITIES,
            parse: parse_provider_as::<P>,
        }
    }
}

/// One compiled-in target type.
#[derive(Clone, Copy)]
pub struct TargetEntry {
    type_name: &'static str,
    parse: fn(&mut PluginTable<'_, '_>) -> Option<TargetConfig>,
}

impl TargetEntry {
    /// The entry of plugin `P`.
    pub const fn of<P: TargetPlugin>() -> Self {
        Self {
            type_name: P::TYPE,
            parse: parse_target_as::<P>,
        }
    }
}

/// The type name is not a compiled-in plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownType;

/// The provider types compiled into this binary.
pub fn provider_types() -> Vec<&'static str> {
    super::PROVIDERS.iter().map(|e| e.type_name).collect()
}

/// The provider types compiled into this binary whose capabilities pass `has`.
pub fn provider_types_with(has: impl Fn(&ProviderCapabilities) -> bool) -> Vec<&'static str> {
    super::PROVIDERS
        .iter()
        .filter(|e| has(&e.capabilities))
        .map(|e| e.type_name)
        .collect()
}

/// The target types compiled into this binary.
pub fn target_types() -> Vec<&'static str> {
    super::TARGETS.iter().map(|e| e.type_name).collect()
}

/// Parses a provider's table by its `type`; `Ok(None)` means the table's
/// error was reported.
pub(crate) fn parse_provider(
    type_name: &str,
    table: &mut PluginTable<'_, '_>,
) -> Result<Option<ProviderConfig>, UnknownType> {
    let entry = super::PROVIDERS
        .iter()
        .find(|e| e.type_name == type_name)
        .ok_or(UnknownType)?;
    Ok((entry.parse)(table))
}

/// Parses a target's table by its `type`; `Ok(None)` means the table's
/// error was reported.
pub(crate) fn parse_target(
    type_name: &str,
    table: &mut PluginTable<'_, '_>,
) -> Result<Option<TargetConfig>, UnknownType> {
    let entry = super::TARGETS
        .iter()
        .find(|e| e.type_name == type_name)
        .ok_or(UnknownType)?;
    Ok((entry.parse)(table))
}

fn parse_provider_as<P: ProviderPlugin>(table: &mut PluginTable<'_, '_>) -> Option<ProviderConfig> {
    let config = table.read::<P::Config>()?;
    Some(ProviderConfig {
        config: Box::new(Typed::<P, P::Config>::new(config)),
    })
}

fn parse_target_as<P: TargetPlugin>(table: &mut PluginTable<'_, '_>) -> Option<TargetConfig> {
    let config = table.read::<P::Config>()?;
    Some(TargetConfig {
        config: Box::new(Typed::<P, P::Config>::new(config)),
    })
}

/// A plugin's own config, with the factory that understands it.
struct Typed<P, C> {
    config: C,
    plugin: PhantomData<fn() -> P>,
}

impl<P, C> Typed<P, C> {
    fn new(config: C) -> Self {
        Self {
            config,
            plugin: PhantomData,
        }
    }
}

impl<P, C: Clone> Clone for Typed<P, C> {
    fn clone(&self) -> Self {
        Self::new(self.config.clone())
    }
}

impl<P, C: std::fmt::Debug> std::fmt::Debug for Typed<P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}

/// A provider config whose type only its plugin knows.
trait AnyProviderConfig: std::fmt::Debug + Send + Sync {
    fn type_name(&self) -> &'static str;
    fn clone_box(&self) -> Box<dyn AnyProviderConfig>;
    fn capabilities(&self) -> ProviderCapabilities;
    fn resolve_paths(&mut self, dir: ConfigDir<'_>);
    fn validate(&self) -> Result<(), String>;
    fn build(&self, name: &str) -> Result<Arc<dyn Provider>, PluginError>;
}

impl<P: ProviderPlugin> AnyProviderConfig for Typed<P, P::Config> {
    fn type_name(&self) -> &'static str {
        P::TYPE
    }
    fn clone_box(&self) -> Box<dyn AnyProviderConfig> {
        Box::new(self.clone())
    }
    fn capabilities(&self) -> ProviderCapabilities {
        P::CAPABILITIES
    }
    fn resolve_paths(&mut self, dir: ConfigDir<'_>) {
        P::resolve_paths(&mut self.config, dir);
    }
    fn validate(&self) -> Result<(), String> {
        P::validate(&self.config)
    }
    fn build(&self, name: &str) -> Result<Arc<dyn Provider>, PluginError> {
        P::build(name, &self.config)
    }
}

/// A target config whose type only its plugin knows.
trait AnyTargetConfig: std::fmt::Debug + Send + Sync {
    fn type_name(&self) -> &'static str;
    fn clone_box(&self) -> Box<dyn AnyTargetConfig>;
    fn capabilities(&self) -> TargetCapabilities;
    fn account_syntax(&self) -> Option<AccountSyntax>;
    fn canonical_scope(&self, scope: &str) -> Result<String, String>;
    fn resolve_paths(&mut self, dir: ConfigDir<'_>);
    fn validate(&self) -> Result<(), String>;
    fn build(&self, name: &str) -> Result<Arc<dyn Target>, PluginError>;
}

impl<P: TargetPlugin> AnyTargetConfig for Typed<P, P::Config> {
    fn type_name(&self) -> &'static str {
        P::TYPE
    }
    fn clone_box(&self) -> Box<dyn AnyTargetConfig> {
        Box::new(self.clone())
    }
    fn capabilities(&self) -> TargetCapabilities {
        P::capabilities(&self.config)
    }
    fn account_syntax(&self) -> Option<AccountSyntax> {
        P::ACCOUNT_SYNTAX
    }
    fn canonical_scope(&self, scope: &str) -> Result<String, String> {
        P::canonical_scope(scope)
    }
    fn resolve_paths(&mut self, dir: ConfigDir<'_>) {
        P::resolve_paths(&mut self.config, dir);
    }
    fn validate(&self) -> Result<(), String> {
        P::validate(&self.config)
    }
    fn build(&self, name: &str) -> Result<Arc<dyn Target>, PluginError> {
        P::build(name, &self.config)
    }
}

/// A `[providers.<name>]` table, parsed by its plugin.
#[derive(Debug)]
pub struct ProviderConfig {
    config: Box<dyn AnyProviderConfig>,
}

impl Clone for ProviderConfig {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone_box(),
        }
    }
}

impl ProviderConfig {
    /// The type name.
    pub fn type_name(&self) -> &'static str {
        self.config.type_name()
    }

    /// What the provider can do.
    pub fn capabilities(&self) -> ProviderCapabilities {
        self.config.capabilities()
    }

    /// Resolves relative paths against the config file's folder.
    pub fn rebase(&mut self, base: &Path) {
        self.config.resolve_paths(ConfigDir::new(base));
    }

    /// Checks what serde cannot; the message is reported at the provider's key.
    pub fn validate(&self) -> Result<(), String> {
        self.config.validate()
    }

    /// Starts the provider named `name`.
    pub fn build(&self, name: &str) -> Result<Arc<dyn Provider>, PluginError> {
        self.config.build(name)
    }
}

/// A `[targets.<name>]` table, parsed by its plugin.
#[derive(Debug)]
pub struct TargetConfig {
    config: Box<dyn AnyTargetConfig>,
}

impl Clone for TargetConfig {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone_box(),
        }
    }
}

impl TargetConfig {
    /// The type name.
    pub fn type_name(&self) -> &'static str {
        self.config.type_name()
    }

    /// What the target can do.
    pub fn capabilities(&self) -> TargetCapabilities {
        self.config.capabilities()
    }

    /// Resolves relative paths against the config file's folder.
    pub fn rebase(&mut self, base: &Path) {
        self.config.resolve_paths(ConfigDir::new(base));
    }

    /// Checks what serde cannot; the message is reported at the target's key.
    pub fn validate(&self) -> Result<(), String> {
        self.config.validate()
    }

    /// A record scope in the target's canonical form, so that what the
    /// target reports compares equal to what the record approves.
    pub fn canonical_scope(&self, scope: &str) -> Result<String, String> {
        self.config.canonical_scope(scope)
    }

    /// Checks a record's `account` (a name or a glob) against the target's
    /// syntax for account names; `Ok` for targets without one.
    pub fn check_account(&self, account: &str) -> Result<(), String> {
        match self.config.account_syntax() {
            Some(syntax) => super::account::check(&syntax, account),
            None => Ok(()),
        }
    }

    /// Starts the target named `name`.
    pub fn build(&self, name: &str) -> Result<Arc<dyn Target>, PluginError> {
        self.config.build(name)
    }
}
