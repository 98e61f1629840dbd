//! How a plugin registers itself: its factory.
//!
//! A plugin crate implements [`ProviderPlugin`] or [`TargetPlugin`] once, on
//! a unit type. The factory names the `type` a config table selects, the
//! plugin's config (deserialized from the rest of the table), what the
//! config loader must check before anything runs (relative paths, validation,
//! capabilities, the canonical form of a scope, the syntax of an account
//! name), and how to build the running plugin. Tenure's core registers each
//! factory with one line and never looks inside a plugin's config.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::{
    PluginError, Provider, ProviderCapabilities, SecretSource, Target, TargetCapabilities,
};

/// The folder of the config file that declared a plugin: relative paths in
/// the plugin's table resolve against it.
#[derive(Debug, Clone, Copy)]
pub struct ConfigDir<'a> {
    base: &'a Path,
}

impl<'a> ConfigDir<'a> {
    /// The folder `base`.
    pub fn new(base: &'a Path) -> Self {
        Self { base }
    }

    /// `path` resolved against the folder, `.` and `..` removed.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        resolve_path(self.base, path)
    }

    /// Resolves `path` in place.
    pub fn path(&self, path: &mut PathBuf) {
        *path = self.resolve(path);
    }

    /// Resolves a `{ file = ... }` source in place; `{ env = ... }` stays.
    pub fn source(&self, source: &mut SecretSource) {
        if let SecretSource::File(path) = source {
            self.path(path);
        }
    }
}

/// Joins `path` onto `base` and removes `.` and `..` segments lexically, so
/// messages show `state/audit.jsonl`, not `config/../state/audit.jsonl`.
pub fn resolve_path(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The syntax of a target's account names (roles, users), which a record's
/// `account` (a name or a glob of names) is checked against at load.
#[derive(Debug, Clone, Copy)]
pub struct AccountSyntax {
    /// What an account is, for messages: "a PostgreSQL role name".
    pub what: &'static str,
    /// The longest name, in characters.
    pub max_chars: usize,
    /// Whether a character may appear in a name.
    pub allowed: fn(char) -> bool,
}

impl AccountSyntax {
    /// Names of `what`, 1 to `max_chars` characters that pass `allowed`.
    pub const fn new(what: &'static str, max_chars: usize, allowed: fn(char) -> bool) -> Self {
        Self {
            what,
            max_chars,
            allowed,
        }
    }
}

/// A scope in its canonical form: parsed as `S`, then written back.
pub fn canonical_scope<S>(scope: &str) -> Result<String, String>
where
    S: std::str::FromStr<Err = String> + std::fmt::Display,
{
    scope.parse::<S>().map(|s| s.to_string())
}

/// The factory of a provider (a vault) plugin.
pub trait ProviderPlugin: 'static {
    /// The `type` value of a `[providers.<name>]` table.
    const TYPE: &'static str;

    /// The table's other keys.
    type Config: DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static;

    /// What a provider of this type can do, known before one is built.
    const CAPABILITIES: ProviderCapabilities;

    /// Resolves the config's relative paths against the config's folder.
    fn resolve_paths(config: &mut Self::Config, dir: ConfigDir<'_>) {
        let _ = (config, dir);
    }

    /// Checks what deserializing cannot; the message is reported at the table.
    fn validate(config: &Self::Config) -> Result<(), String> {
        let _ = config;
        Ok(())
    }

    /// Starts the provider (opens files, prepares clients); `name` is the
    /// table's name.
    fn build(name: &str, config: &Self::Config) -> Result<Arc<dyn Provider>, PluginError>;
}

/// The factory of a target plugin.
pub trait TargetPlugin: 'static {
    /// The `type` value of a `[targets.<name>]` table.
    const TYPE: &'static str;

    /// The table's other keys.
    type Config: DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static;

    /// What a target of this type can do at most.
    const CAPABILITIES: TargetCapabilities;

    /// What a target with `config` can do, known before it is built. The
    /// default is [`Self::CAPABILITIES`]; a target whose config can turn a
    /// capability off says so here.
    fn capabilities(config: &Self::Config) -> TargetCapabilities {
        let _ = config;
        Self::CAPABILITIES
    }

    /// The syntax of the target's account names, for a target with the
    /// `logins` capability; `None` accepts any name.
    const ACCOUNT_SYNTAX: Option<AccountSyntax> = None;

    /// A record's scope in the target's canonical form, so that what the
    /// target reports compares equal to what the record approves. The
    /// default keeps it as written.
    fn canonical_scope(scope: &str) -> Result<String, String> {
        Ok(scope.to_owned())
    }

    /// Resolves the config's relative paths against the config's folder.
    fn resolve_paths(config: &mut Self::Config, dir: ConfigDir<'_>) {
        let _ = (config, dir);
    }

    /// Checks what deserializing cannot; the message is reported at the table.
    fn validate(config: &Self::Config) -> Result<(), String> {
        let _ = config;
        Ok(())
    }

    /// Starts the target; `name` is the table's name.
    fn build(name: &str, config: &Self::Config) -> Result<Arc<dyn Target>, PluginError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_lexically_against_the_config_folder() {
        let dir = ConfigDir::new(Path::new("config"));
        assert_eq!(
            dir.resolve(Path::new("../state/a")),
            PathBuf::from("state/a")
        );
        assert_eq!(dir.resolve(Path::new("/abs/./b")), PathBuf::from("/abs/b"));
        assert_eq!(
            resolve_path(Path::new("."), Path::new(".")),
            PathBuf::from(".")
        );
        assert_eq!(
            resolve_path(Path::new(""), Path::new("../x")),
            PathBuf::from("../x")
        );
        let mut source = SecretSource::File(PathBuf::from("keys/k"));
        dir.source(&mut source);
        assert_eq!(source, SecretSource::File(PathBuf::from("config/keys/k")));
        let mut env = SecretSource::Env("V".into());
        dir.source(&mut env);
        assert_eq!(env, SecretSource::Env("V".into()));
    }
}
