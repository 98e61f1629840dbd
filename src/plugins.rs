//! The one place every plugin is registered.
//!
//! A provider or target is a `[providers.<name>]` / `[targets.<name>]` table
//! whose `type` key picks the plugin; the rest of the table is the plugin's
//! own config. Each plugin sits behind a Cargo feature of the same name, so a
//! small binary can leave out what it does not use. Parsing and validation
//! here are pure; [`build_provider`] and [`build_target`] do the I/O.

// With some plugin features off, parts of this registry are unused by design.
#![cfg_attr(
    not(all(feature = "provider-local", feature = "target-generate")),
    allow(unused, unreachable_code)
)]

use std::path::Path;
use std::sync::Arc;

use tenure_plugin_api::{Provider, Target};

/// A provider's config, by type.
#[derive(Debug, Clone)]
pub enum ProviderConfig {
    /// `type = "local"`: the embedded encrypted file vault.
    #[cfg(feature = "provider-local")]
    Local(tenure_provider_local::LocalConfig),
    /// `type = "vault"`: HashiCorp Vault / OpenBao KV v2.
    #[cfg(feature = "provider-vault")]
    Vault(tenure_provider_vault::VaultConfig),
    /// `type = "aws_secrets_manager"`: AWS Secrets Manager.
    #[cfg(feature = "provider-aws")]
    Aws(tenure_provider_aws_secrets_manager::AwsConfig),
    /// `type = "azure_key_vault"`: Azure Key Vault secrets.
    #[cfg(feature = "provider-azure")]
    AzureKeyVault(tenure_provider_azure_key_vault::AzureKeyVaultConfig),
}

/// A target's config, by type.
#[derive(Debug, Clone)]
pub enum TargetConfig {
    /// `type = "generate"`: random values for vault-only consumers.
    #[cfg(feature = "target-generate")]
    Generate(tenure_target_generate::GenerateConfig),
    /// `type = "exec"`: an external program over a JSON protocol.
    #[cfg(feature = "target-exec")]
    Exec(tenure_target_exec::ExecConfig),
    /// `type = "postgres"`: PostgreSQL roles.
    #[cfg(feature = "target-postgres")]
    Postgres(tenure_target_postgres::PostgresConfig),
    /// `type = "redis"`: Redis ACL users.
    #[cfg(feature = "target-redis")]
    Redis(tenure_target_redis::RedisConfig),
    /// `type = "mysql"`: MySQL and MariaDB accounts.
    #[cfg(feature = "target-mysql")]
    Mysql(tenure_target_mysql::MysqlConfig),
    /// `type = "aws_iam"`: IAM user access keys.
    #[cfg(feature = "target-aws-iam")]
    AwsIam(tenure_target_aws_iam::IamConfig),
}

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

/// The provider types compiled into this binary.
#[allow(clippy::vec_init_then_push)]
pub fn provider_types() -> Vec<&'static str> {
    let mut types = Vec::new();
    #[cfg(feature = "provider-local")]
    types.push("local");
    #[cfg(feature = "provider-vault")]
    types.push("vault");
    #[cfg(feature = "provider-aws")]
    types.push("aws_secrets_manager");
    #[cfg(feature = "provider-azure")]
    types.push("azure_key_vault");
    types
}

/// The target types compiled into this binary.
#[allow(clippy::vec_init_then_push)]
pub fn target_types() -> Vec<&'static str> {
    let mut types = Vec::new();
    #[cfg(feature = "target-generate")]
    types.push("generate");
    #[cfg(feature = "target-exec")]
    types.push("exec");
    #[cfg(feature = "target-postgres")]
    types.push("postgres");
    #[cfg(feature = "target-redis")]
    types.push("redis");
    #[cfg(feature = "target-mysql")]
    types.push("mysql");
    #[cfg(feature = "target-aws-iam")]
    types.push("aws_iam");
    types
}

/// Deserializes a plugin's table (without its `type` key), reporting any
/// error itself; `None` means it was reported.
pub trait ConfigReader {
    /// Reads the table as `T`.
    fn read<T: serde::de::DeserializeOwned>(&mut self) -> Option<T>;
}

/// The type name is not a compiled-in plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownType;

/// Parses a provider's table by its `type`.
pub fn parse_provider(
    type_name: &str,
    reader: &mut impl ConfigReader,
) -> Result<Option<ProviderConfig>, UnknownType> {
    match type_name {
        #[cfg(feature = "provider-local")]
        "local" => Ok(reader.read().map(ProviderConfig::Local)),
        #[cfg(feature = "provider-vault")]
        "vault" => Ok(reader.read().map(ProviderConfig::Vault)),
        #[cfg(feature = "provider-aws")]
        "aws_secrets_manager" => Ok(reader.read().map(ProviderConfig::Aws)),
        #[cfg(feature = "provider-azure")]
        "azure_key_vault" => Ok(reader.read().map(ProviderConfig::AzureKeyVault)),
        _ => Err(UnknownType),
    }
}

/// Parses a target's table by its `type`.
pub fn parse_target(
    type_name: &str,
    reader: &mut impl ConfigReader,
) -> Result<Option<TargetConfig>, UnknownType> {
    match type_name {
        #[cfg(feature = "target-generate")]
        "generate" => Ok(reader.read().map(TargetConfig::Generate)),
        #[cfg(feature = "target-exec")]
        "exec" => Ok(reader.read().map(TargetConfig::Exec)),
        #[cfg(feature = "target-postgres")]
        "postgres" => Ok(reader.read().map(TargetConfig::Postgres)),
        #[cfg(feature = "target-redis")]
        "redis" => Ok(reader.read().map(TargetConfig::Redis)),
        #[cfg(feature = "target-mysql")]
        "mysql" => Ok(reader.read().map(TargetConfig::Mysql)),
        #[cfg(feature = "target-aws-iam")]
        "aws_iam" => Ok(reader.read().map(TargetConfig::AwsIam)),
        _ => Err(UnknownType),
    }
}

impl ProviderConfig {
    /// Resolves relative paths against the config file's folder.
    pub fn rebase(&mut self, base: &Path) {
        match *self {
            #[cfg(feature = "provider-local")]
            Self::Local(ref mut config) => {
                config.path = crate::config::resolve(base, &config.path);
                if let Some(key) = &mut config.key {
                    rebase_source(key, base);
                }
                if let Some(seed) = &mut config.seed {
                    *seed = crate::config::resolve(base, seed);
                }
            }
            #[cfg(feature = "provider-vault")]
            Self::Vault(ref mut config) => {
                rebase_source(&mut config.address, base);
                match &mut config.auth {
                    tenure_provider_vault::VaultAuth::Token { token } => rebase_source(token, base),
                    tenure_provider_vault::VaultAuth::AppRole {
                        role_id, secret_id, ..
                    } => {
                        rebase_source(role_id, base);
                        if let Some(secret_id) = secret_id {
                            rebase_source(secret_id, base);
                        }
                    }
                    tenure_provider_vault::VaultAuth::Kubernetes { jwt_file, .. } => {
                        *jwt_file = crate::config::resolve(base, jwt_file);
                    }
                }
                if let Some(ca) = &mut config.ca_file {
                    *ca = crate::config::resolve(base, ca);
                }
            }
            #[cfg(feature = "provider-aws")]
            Self::Aws(_) => {}
            #[cfg(feature = "provider-azure")]
            Self::AzureKeyVault(ref mut config) => {
                if let tenure_provider_azure_key_vault::VaultUrl::Source(source) =
                    &mut config.vault_url
                {
                    rebase_source(source, base);
                }
                if let tenure_provider_azure_key_vault::Credential::ClientSecret {
                    secret, ..
                } = &mut config.credential
                {
                    rebase_source(secret, base);
                }
            }
        }
    }

    /// Checks what serde cannot; the message is reported at the provider's key.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            #[cfg(feature = "provider-local")]
            Self::Local(_) => Ok(()),
            #[cfg(feature = "provider-vault")]
            Self::Vault(_) => Ok(()),
            #[cfg(feature = "provider-aws")]
            Self::Aws(ref config) => config.validate(),
            #[cfg(feature = "provider-azure")]
            Self::AzureKeyVault(ref config) => config.validate(),
        }
    }

    /// Whether the provider holds dynamic-secret leases a record can revoke.
    pub fn has_leases(&self) -> bool {
        match *self {
            #[cfg(feature = "provider-vault")]
            Self::Vault(_) => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The type name.
    pub fn type_name(&self) -> &'static str {
        match *self {
            #[cfg(feature = "provider-local")]
            Self::Local(_) => "local",
            #[cfg(feature = "provider-vault")]
            Self::Vault(_) => "vault",
            #[cfg(feature = "provider-aws")]
            Self::Aws(_) => "aws_secrets_manager",
            #[cfg(feature = "provider-azure")]
            Self::AzureKeyVault(_) => "azure_key_vault",
        }
    }
}

impl TargetConfig {
    /// Resolves relative paths against the config file's folder.
    pub fn rebase(&mut self, base: &Path) {
        match *self {
            #[cfg(feature = "target-generate")]
            Self::Generate(_) => {}
            #[cfg(feature = "target-exec")]
            Self::Exec(ref mut config) => {
                if let Some(program) = config.command.first_mut()
                    && program.contains('/')
                {
                    *program = crate::config::resolve(base, Path::new(program.as_str()))
                        .display()
                        .to_string();
                }
                if let Some(dir) = &mut config.working_dir {
                    *dir = crate::config::resolve(base, dir);
                }
            }
            #[cfg(feature = "target-postgres")]
            Self::Postgres(ref mut config) => rebase_source(&mut config.admin_url, base),
            #[cfg(feature = "target-redis")]
            Self::Redis(ref mut config) => {
                rebase_source(&mut config.admin_url, base);
                if let Some(ca) = &mut config.ca_file {
                    *ca = crate::config::resolve(base, ca);
                }
            }
            #[cfg(feature = "target-mysql")]
            Self::Mysql(ref mut config) => rebase_source(&mut config.admin_url, base),
            #[cfg(feature = "target-aws-iam")]
            Self::AwsIam(_) => {}
        }
    }

    /// A record scope in the target's canonical form, so that what the
    /// target reports compares equal to what the record approves.
    pub fn canonical_scope(&self, scope: &str) -> Result<String, String> {
        match *self {
            #[cfg(feature = "target-postgres")]
            Self::Postgres(_) => scope
                .parse::<tenure_target_postgres::Scope>()
                .map(|s| s.to_string()),
            #[cfg(feature = "target-mysql")]
            Self::Mysql(_) => scope
                .parse::<tenure_target_mysql::Scope>()
                .map(|s| s.to_string()),
            #[cfg(feature = "target-redis")]
            Self::Redis(_) => scope
                .parse::<tenure_target_redis::Scope>()
                .map(|s| s.to_string()),
            _ => Ok(scope.to_owned()),
        }
    }

    /// Checks a record's `account` (a name or a glob) against the target's
    /// syntax for account names; `Ok` for targets without accounts.
    pub fn check_account(&self, account: &str) -> Result<(), String> {
        let glob = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | ',' | '!');
        let (what, max, allowed): (&str, usize, fn(char) -> bool) = match *self {
            #[cfg(feature = "target-postgres")]
            Self::Postgres(_) => ("a PostgreSQL role name", 63, |c| {
                !c.is_control() && c != '\0'
            }),
            #[cfg(feature = "target-mysql")]
            Self::Mysql(_) => ("a MariaDB/MySQL user name", 80, |c| !c.is_control()),
            #[cfg(feature = "target-redis")]
            Self::Redis(_) => ("a Redis ACL user name", 128, |c| c.is_ascii_graphic()),
            #[cfg(feature = "target-aws-iam")]
            Self::AwsIam(_) => ("an IAM user name", 64, |c| {
                c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
            }),
            #[allow(unreachable_patterns)]
            _ => return Ok(()),
        };
        let literal: usize = account.chars().filter(|c| !glob(*c)).count();
        if account.is_empty() || literal > max {
            return Err(format!(
                "invalid account {account:?}: expected {what} of 1 to {max} characters, or a glob of them"
            ));
        }
        if let Some(bad) = account.chars().find(|c| !glob(*c) && !allowed(*c)) {
            return Err(format!(
                "invalid account {account:?}: {bad:?} cannot be in {what}"
            ));
        }
        globset::Glob::new(account)
            .map(|_| ())
            .map_err(|e| format!("invalid account glob {account:?}: {}", e.kind()))
    }

    /// Whether the target knows its logins by name (so it can list them
    /// for discovery and disable them by name).
    pub fn has_logins(&self) -> bool {
        match *self {
            #[cfg(feature = "target-postgres")]
            Self::Postgres(_) => true,
            #[cfg(feature = "target-redis")]
            Self::Redis(_) => true,
            #[cfg(feature = "target-mysql")]
            Self::Mysql(_) => true,
            #[cfg(feature = "target-aws-iam")]
            Self::AwsIam(_) => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Checks what serde cannot; the message is reported at the target's key.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            #[cfg(feature = "target-generate")]
            Self::Generate(ref config) => config.validate(),
            #[cfg(feature = "target-exec")]
            Self::Exec(ref config) => config.validate(),
            #[cfg(feature = "target-postgres")]
            Self::Postgres(ref config) => config.validate(),
            #[cfg(feature = "target-redis")]
            Self::Redis(ref config) => config.validate(),
            #[cfg(feature = "target-mysql")]
            Self::Mysql(ref config) => config.validate(),
            #[cfg(feature = "target-aws-iam")]
            Self::AwsIam(ref config) => config.validate(),
        }
    }

    /// The type name.
    pub fn type_name(&self) -> &'static str {
        match *self {
            #[cfg(feature = "target-generate")]
            Self::Generate(_) => "generate",
            #[cfg(feature = "target-exec")]
            Self::Exec(_) => "exec",
            #[cfg(feature = "target-postgres")]
            Self::Postgres(_) => "postgres",
            #[cfg(feature = "target-redis")]
            Self::Redis(_) => "redis",
            #[cfg(feature = "target-mysql")]
            Self::Mysql(_) => "mysql",
            #[cfg(feature = "target-aws-iam")]
            Self::AwsIam(_) => "aws_iam",
        }
    }
}

/// Resolves a `{ file = ... }` credential source against the config folder.
fn rebase_source(source: &mut tenure_plugin_api::SecretSource, base: &Path) {
    if let tenure_plugin_api::SecretSource::File(path) = source {
        *path = crate::config::resolve(base, path);
    }
}

/// Starts a provider (opens files, connects).
pub fn build_provider(
    name: &str,
    config: &ProviderConfig,
) -> Result<Arc<dyn Provider>, BuildError> {
    match *config {
        #[cfg(feature = "provider-local")]
        ProviderConfig::Local(ref config) => tenure_provider_local::LocalVault::open(name, config)
            .map(|vault| Arc::new(vault) as Arc<dyn Provider>)
            .map_err(|e| BuildError::Provider {
                name: name.to_owned(),
                message: e.to_string(),
            }),
        #[cfg(feature = "provider-vault")]
        ProviderConfig::Vault(ref config) => Ok(Arc::new(
            tenure_provider_vault::VaultProvider::new(name, config.clone()),
        )),
        #[cfg(feature = "provider-aws")]
        ProviderConfig::Aws(ref config) => Ok(Arc::new(
            tenure_provider_aws_secrets_manager::AwsSecretsManagerProvider::new(
                name,
                config.clone(),
            ),
        )),
        #[cfg(feature = "provider-azure")]
        ProviderConfig::AzureKeyVault(ref config) => {
            tenure_provider_azure_key_vault::AzureKeyVaultProvider::new(name, config)
                .map(|provider| Arc::new(provider) as Arc<dyn Provider>)
                .map_err(|e| BuildError::Provider {
                    name: name.to_owned(),
                    message: e.to_string(),
                })
        }
    }
}

/// Starts a target.
pub fn build_target(name: &str, config: &TargetConfig) -> Result<Arc<dyn Target>, BuildError> {
    match *config {
        #[cfg(feature = "target-generate")]
        TargetConfig::Generate(ref config) => Ok(Arc::new(
            tenure_target_generate::GenerateTarget::new(name, config.clone()),
        )),
        #[cfg(feature = "target-exec")]
        TargetConfig::Exec(ref config) => Ok(Arc::new(tenure_target_exec::ExecTarget::new(
            name,
            config.clone(),
        ))),
        #[cfg(feature = "target-postgres")]
        TargetConfig::Postgres(ref config) => Ok(Arc::new(
            tenure_target_postgres::PostgresTarget::new(name, config.clone()),
        )),
        #[cfg(feature = "target-redis")]
        TargetConfig::Redis(ref config) => Ok(Arc::new(tenure_target_redis::RedisTarget::new(
            name,
            config.clone(),
        ))),
        #[cfg(feature = "target-mysql")]
        TargetConfig::Mysql(ref config) => Ok(Arc::new(tenure_target_mysql::MysqlTarget::new(
            name,
            config.clone(),
        ))),
        #[cfg(feature = "target-aws-iam")]
        TargetConfig::AwsIam(ref config) => Ok(Arc::new(tenure_target_aws_iam::IamTarget::new(
            name,
            config.clone(),
        ))),
    }
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
