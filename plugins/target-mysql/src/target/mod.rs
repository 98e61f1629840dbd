//! [`MysqlTarget`]: the struct, its construction and account naming, and
//! the [`Target`] impl: what each method does, in the words of the helpers
//! the modules for each job provide (connections, rotation, privileges,
//! narrowing, revocation, logins).

mod connection;
mod held;
mod logins;
mod narrowing;
mod revocation;
mod rotation;

use std::collections::BTreeSet;

use sqlx::Row;
use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::{MysqlConfig, RevokeMode};
use crate::privileges::{Account, Scope, literal};
use connection::{Admin, Login, admin_error};
use logins::locked_query;
use narrowing::revoke_rank;

/// The mysql target.
pub struct MysqlTarget {
    name: String,
    config: MysqlConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for MysqlTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MysqlTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MysqlTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: MysqlConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    fn account(&self, user: &str) -> String {
        format!("{}@{}", literal(user), literal(&self.config.account_host))
    }

    fn grantee(&self, user: &str) -> String {
        format!("'{user}'@'{}'", self.config.account_host)
    }

    async fn exists(&self, user: &str) -> Result<bool, PluginError> {
        let admin = self.admin().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?")
                .bind(user)
                .bind(&self.config.account_host)
                .fetch_optional(&admin.pool)
                .await
                .map_err(admin_error)?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl Target for MysqlTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
    }

    async fn issue(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = DbCredential::from_current(current)?;
        let password = DbCredential::fresh_password(self.config.password_length)?;
        Ok(current
            .with_login(current.username.clone(), password)
            .to_value())
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if !self.exists(&pending.username).await? {
            return Err(PluginError::not_found(format!(
                "account {} does not exist",
                self.grantee(&pending.username)
            )));
        }
        self.set_password(&pending.username, &pending.password)
            .await
    }

    /// current password back, or without one the account locked.
    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        match current.map(DbCredential::parse).transpose()? {
            Some(current) => {
                self.set_password(&current.username, &current.password)
                    .await
            }
            None => {
                self.execute(&format!(
                    "ALTER USER {} ACCOUNT LOCK",
                    self.account(&pending.username)
                ))
                .await
            }
        }
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        _previous: &SecretValue,
        _current: &SecretValue,
    ) -> Result<(), PluginError> {
        // One account, one password: the old one stopped working when the new one was set.
        Ok(())
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        Ok(Some(
            self.held(&credential.username)
                .await?
                .iter()
                .map(ToString::to_string)
                .collect(),
        ))
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let credential = DbCredential::parse(current)?;
        let user = &credential.username;
        let account = self.account(user);
        let mariadb = self.admin().await?.mariadb;
        let approved: BTreeSet<Scope> = ctx.scopes.iter().filter_map(|s| s.parse().ok()).collect();
        // An admin option is approved only with its role, PROXY's grant
        // option only with PROXY: neither can be held alone.
        let approved: BTreeSet<Scope> = approved
            .iter()
            .filter(|s| s.requires().is_none_or(|r| approved.contains(&r)))
            .cloned()
            .collect();

        let before = self.held(user).await?;
        let mut after = before.clone();
        // A second round takes what a restore brought with it (MariaDB
        // grants the global grant option with `PROXY ... WITH GRANT
        // OPTION`); a third is never needed, and what is still wrong then
        // is an error below.
        for _ in 0..2 {
            let excess: Vec<&Scope> = after.iter().filter(|s| !approved.contains(*s)).collect();
            if excess.is_empty() {
                break;
            }
            let mut order = excess.clone();
            order.sort_by_key(|s| revoke_rank(s));
            for scope in order {
                // Revoking the role (or PROXY) takes its option with it.
                if scope.requires().is_some_and(|r| excess.contains(&&r)) {
                    continue;
                }
                self.revoke_scope(scope, &account).await?;
            }
            after = self.held(user).await?;
            // A table privilege's revoke also takes that privilege on the
            // table's columns; MySQL revokes an admin option with its role
            // and either server PROXY's grant option with PROXY. Whatever
            // approved went with them is granted back, exactly as it was.
            let lost: Vec<&Scope> = before
                .iter()
                .filter(|s| approved.contains(*s) && !after.contains(s))
                .collect();
            if lost.is_empty() {
                continue;
            }
            for scope in &lost {
                if scope.requires().is_some_and(|r| lost.contains(&&r)) {
                    continue;
                }
                let option = match scope {
                    Scope::Role(role) => Some(Scope::RoleAdmin(role.clone())),
                    Scope::Proxy(proxied) => Some(Scope::ProxyGrant(proxied.clone())),
                    _ => None,
                };
                let with_option = option.as_ref().is_some_and(|o| lost.contains(&o));
                self.execute(&scope.grant_statement(&account, mariadb, with_option))
                    .await
                    .map_err(|e| {
                        e.context(format!("restoring approved {scope}, which a revoke took"))
                    })?;
            }
            after = self.held(user).await?;
        }
        if let Some(extra) = after.iter().find(|s| !approved.contains(*s)) {
            return Err(PluginError::permanent(format!(
                "narrowing left {extra}, which is not approved"
            )));
        }
        if let Some(missing) = before
            .iter()
            .find(|s| approved.contains(*s) && !after.contains(s))
        {
            return Err(PluginError::permanent(format!(
                "narrowing lost approved {missing}"
            )));
        }
        // A default role the account no longer holds would come back with
        // the role if it were ever granted again: it goes too.
        if mariadb
            && let Some(role) = self.default_role(user).await?
            && !after.contains(&Scope::Role(Account::new(role.clone(), None)))
        {
            self.execute(&format!("SET DEFAULT ROLE NONE FOR {account}"))
                .await?;
            tracing::info!(role = %role, "Cleared a default role the account no longer holds.");
        }
        Ok(NarrowReport {
            removed: before
                .iter()
                .filter(|s| !after.contains(s))
                .map(ToString::to_string)
                .collect(),
            remaining: after.iter().map(ToString::to_string).collect(),
        })
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let credential = DbCredential::parse(current)?;
        match self.config.revoke {
            RevokeMode::Lock => self.lock(&credential.username).await,
            RevokeMode::Drop => {
                if self.exists(&credential.username).await? {
                    self.execute(&format!(
                        "DROP USER IF EXISTS {}",
                        self.account(&credential.username)
                    ))
                    .await?;
                }
                self.kill_connections(&credential.username).await
            }
        }
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let credential = DbCredential::parse(value)?;
        Ok(match self.login(&credential).await? {
            Login::Accepted(user) => LoginOutcome::Accepted(Proof::new(
                "login",
                format!("a fresh connection logged in as {user}"),
            )),
            Login::Refused(code, message) => LoginOutcome::Refused(Proof::new(
                "login",
                format!("refused with error {code}: {message}"),
            )),
        })
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(DbCredential::parse(value)?.username))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![DbCredential::parse(value)?.username])
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let admin = self.admin().await?;
        let kept = DbCredential::username_of(except)?;
        let rows = sqlx::query(locked_query(admin.mariadb))
            .bind(&self.config.account_host)
            .fetch_all(&admin.pool)
            .await
            .map_err(admin_error)?;
        let mut locked = std::collections::HashMap::new();
        for row in rows {
            let user: String = row.try_get(0).map_err(admin_error)?;
            let flag: String = row.try_get(1).map_err(admin_error)?;
            locked.insert(user, flag);
        }
        Ok(logins
            .iter()
            .map(|login| {
                let (enabled, detail) = match locked.get(login).map(String::as_str) {
                    None => (false, "absent".to_owned()),
                    // One password per account: the current one is the only one.
                    Some("N") if kept.as_deref() == Some(login.as_str()) => (
                        false,
                        "account_locked=N, with the current credential only".to_owned(),
                    ),
                    Some(flag) => (flag != "Y", format!("account_locked={flag}")),
                };
                LoginState {
                    login: login.clone(),
                    enabled,
                    detail,
                }
            })
            .collect())
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let kept = DbCredential::username_of(except)?;
        for user in logins {
            if kept.as_deref() != Some(user.as_str()) {
                self.lock(user).await?;
            }
        }
        Ok(())
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        let admin = self.admin().await?;
        let own = self.admin_user().await?;
        // Unlocked accounts of the managed host, without the server's own
        // (root, mariadb.sys, mysql.*, PUBLIC) and the admin's.
        let rows = sqlx::query(locked_query(admin.mariadb))
            .bind(&self.config.account_host)
            .fetch_all(&admin.pool)
            .await
            .map_err(admin_error)?;
        let system = [
            "",
            "root",
            "mariadb.sys",
            "mysql.sys",
            "mysql.session",
            "mysql.infoschema",
            "PUBLIC",
        ];
        let mut users = Vec::new();
        for row in rows {
            let user: String = row.try_get(0).map_err(admin_error)?;
            let locked: String = row.try_get(1).map_err(admin_error)?;
            if locked == "N" && user != own && !system.contains(&user.as_str()) {
                users.push(user);
            }
        }
        users.sort();
        Ok(users)
    }
}
