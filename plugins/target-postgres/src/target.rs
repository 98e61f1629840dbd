//! [`PostgresTarget`]: the [`Target`] trait over PostgreSQL roles.

use std::str::FromStr;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::{PostgresConfig, RevokeMode, Strategy};
use crate::privileges::{Scope, held};
use crate::scram::verifier;
use crate::sql::{ident, literal};

/// How a login attempt ended.
enum Login {
    /// Logged in as this user.
    Accepted(String),
    /// The server refused the credential: SQLSTATE and message.
    Refused(String, String),
}

struct Admin {
    pool: PgPool,
    options: PgConnectOptions,
}

/// The postgres target.
pub struct PostgresTarget {
    name: String,
    config: PostgresConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for PostgresTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresTarget")
            .field("name", &self.name)
            .field("strategy", &self.config.strategy)
            .finish_non_exhaustive()
    }
}

fn admin_error(err: sqlx::Error) -> PluginError {
    match err {
        sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("28")) => {
            PluginError::unauthorized(format!("admin connection refused: {}", e.message()))
        }
        sqlx::Error::Database(e) if e.code().as_deref() == Some("42501") => {
            PluginError::unauthorized(format!("admin role lacks a privilege: {}", e.message()))
        }
        // undefined_object: `ALTER ROLE` of a role that does not exist.
        sqlx::Error::Database(e) if e.code().as_deref() == Some("42704") => {
            PluginError::not_found(e.message().to_owned())
        }
        sqlx::Error::Database(e) => {
            PluginError::permanent(format!("statement failed: {}", e.message()))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => PluginError::retryable(format!("admin connection: {err}")),
        other => PluginError::retryable(format!("admin connection: {other}")),
    }
}

/// A fresh connection with `options`; the role it logged in as. A query
/// without arguments goes by the simple protocol: one round trip, nothing
/// to prepare.
async fn login_as(options: &PgConnectOptions) -> Result<String, sqlx::Error> {
    let mut connection = PgConnection::connect_with(options).await?;
    let row = sqlx::Executor::fetch_one(&mut connection, "SELECT current_user::text").await?;
    let _ = connection.close().await;
    row.try_get(0)
}

/// The base (group) name of a dual pair, and the role a rotation moves to.
fn dual_names(username: &str) -> (String, String) {
    let base = username
        .strip_suffix("_a")
        .or_else(|| username.strip_suffix("_b"))
        .unwrap_or(username);
    let next = if username.ends_with("_a") {
        format!("{base}_b")
    } else {
        format!("{base}_a")
    };
    (base.to_owned(), next)
}

fn salt() -> Result<[u8; 16], PluginError> {
    let mut salt = [0u8; 16];
    tenure_plugin_api::random::fill(&mut salt)
        .map_err(|e| PluginError::retryable(e.to_string()))?;
    Ok(salt)
}

impl PostgresTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: PostgresConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    async fn admin(&self) -> Result<&Admin, PluginError> {
        self.admin
            .get_or_try_init(|| async {
                let url = self
                    .config
                    .admin_url
                    .resolve()
                    .map_err(|e| PluginError::permanent(format!("admin_url: {e}")))?;
                let options = PgConnectOptions::from_str(url.expose())
                    .map_err(|_| {
                        PluginError::permanent("admin_url is not a valid postgres:// URL")
                    })?
                    .disable_statement_logging();
                let pool = PgPoolOptions::new()
                    .max_connections(self.config.max_admin_connections.unwrap_or(8))
                    .acquire_timeout(self.config.connect_timeout)
                    .connect_with(options.clone())
                    .await
                    .map_err(admin_error)?;
                Ok(Admin { pool, options })
            })
            .await
    }

    async fn execute(&self, statement: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        sqlx::raw_sql(statement)
            .execute(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(())
    }

    async fn role_exists(&self, role: &str) -> Result<bool, PluginError> {
        let admin = self.admin().await?;
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_roles WHERE rolname = $1")
            .bind(role)
            .fetch_optional(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(found.is_some())
    }

    async fn set_password(
        &self,
        role: &str,
        password: &SecretValue,
        create_in: Option<&str>,
    ) -> Result<(), PluginError> {
        let verifier = verifier(password.expose(), &salt()?);
        let statement = match create_in {
            Some(group) if !self.role_exists(role).await? => format!(
                "CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}",
                ident(role),
                literal(&verifier),
                ident(group)
            ),
            _ => format!(
                "ALTER ROLE {} WITH LOGIN PASSWORD {}",
                ident(role),
                literal(&verifier)
            ),
        };
        self.execute(&statement).await
    }

    async fn terminate_sessions(&self, role: &str) -> Result<u64, PluginError> {
        let admin = self.admin().await?;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()",
        )
        .bind(role)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)?;
        Ok(ended.into_iter().filter(|ended| *ended).count() as u64)
    }

    async fn disable_login(&self, role: &str) -> Result<(), PluginError> {
        if self.role_exists(role).await? {
            self.execute(&format!("ALTER ROLE {} NOLOGIN", ident(role)))
                .await?;
        }
        self.terminate_sessions(role).await?;
        Ok(())
    }

    /// A fresh connection with exactly what the credential holds.
    async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
        let admin = self.admin().await?;
        let mut options = admin
            .options
            .clone()
            .username(&credential.username)
            .password(credential.password.expose());
        if let Some(host) = &credential.host {
            options = options.host(host);
        }
        if let Some(port) = credential.port {
            options = options.port(port);
        }
        if let Some(dbname) = &credential.dbname {
            options = options.database(dbname);
        }
        match tokio::time::timeout(self.config.connect_timeout, login_as(&options)).await {
            Err(_) => Err(PluginError::retryable("login attempt timed out")),
            Ok(Ok(user)) => Ok(Login::Accepted(user)),
            Ok(Err(sqlx::Error::Database(e))) if e.code().is_some_and(|c| c.starts_with("28")) => {
                Ok(Login::Refused(
                    e.code().map(|c| c.into_owned()).unwrap_or_default(),
                    e.message().to_owned(),
                ))
            }
            Ok(Err(sqlx::Error::Database(e))) => Err(PluginError::permanent(format!(
                "login failed: {}",
                e.message()
            ))),
            Ok(Err(other)) => Err(PluginError::retryable(format!("login failed: {other}"))),
        }
    }

    /// The roles whose privileges a credential exercises: the login role, and
    /// for the dual strategy the group role both logins belong to.
    fn holders(&self, credential: &DbCredential) -> Vec<String> {
        match self.config.strategy {
            Strategy::Single => vec![credential.username.clone()],
            Strategy::Dual => {
                let (base, _) = dual_names(&credential.username);
                if base == credential.username {
                    vec![base]
                } else {
                    vec![credential.username.clone(), base]
                }
            }
        }
    }

    /// Every scope held, with the role that holds it (one catalog query);
    /// the dual pair's own membership in its group is structural, not a
    /// privilege.
    async fn held_by(
        &self,
        credential: &DbCredential,
    ) -> Result<Vec<(Scope, String)>, PluginError> {
        let admin = self.admin().await?;
        let holders = self.holders(credential);
        let mut all = held(&admin.pool, &holders).await?;
        let structural = |scope: &Scope| match scope {
            Scope::Member { role } => holders.contains(role),
            Scope::GrantOption(inner) => {
                matches!(&**inner, Scope::Member { role } if holders.contains(role))
            }
            _ => false,
        };
        all.retain(|(scope, _)| !structural(scope));
        Ok(all)
    }

    /// What a revocation of `credential` disables: its role, and for the
    /// dual strategy the other login of the pair (it may still be inside its
    /// grace period) and the group.
    fn revoked_roles(&self, credential: &DbCredential) -> Vec<String> {
        let mut roles = vec![credential.username.clone()];
        if self.config.strategy == Strategy::Dual {
            let (base, next) = dual_names(&credential.username);
            roles.push(next);
            if base != credential.username {
                roles.push(base);
            }
        }
        roles
    }

    /// The admin connection's own role, never listed nor disabled.
    async fn admin_role(&self) -> Result<String, PluginError> {
        let admin = self.admin().await?;
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&admin.pool)
            .await
            .map_err(admin_error)
    }
}

/// The approved scopes; approving a privilege with its grant option
/// approves the privilege too, so narrowing never takes it away.
fn approved(scopes: &[String]) -> Vec<Scope> {
    let mut approved: Vec<Scope> = scopes.iter().filter_map(|s| s.parse().ok()).collect();
    let implied: Vec<Scope> = approved
        .iter()
        .filter_map(|scope| match scope {
            Scope::GrantOption(inner) => Some((**inner).clone()),
            _ => None,
        })
        .collect();
    approved.extend(implied);
    approved
}

#[async_trait]
impl Target for PostgresTarget {
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
        let username = match self.config.strategy {
            Strategy::Single => current.username.clone(),
            Strategy::Dual => dual_names(&current.username).1,
        };
        Ok(current.with_login(username, password).to_value())
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        match self.config.strategy {
            // A missing role fails the ALTER ROLE itself (42704, not found):
            // no separate existence query.
            Strategy::Single => {
                self.set_password(&pending.username, &pending.password, None)
                    .await
            }
            Strategy::Dual => {
                let (base, _) = dual_names(&pending.username);
                if !self.role_exists(&base).await? {
                    return Err(PluginError::permanent(format!(
                        "the dual strategy needs the group role {base} (holding the privileges) to exist"
                    )));
                }
                self.set_password(&pending.username, &pending.password, Some(&base))
                    .await
            }
        }
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        let current = current.map(DbCredential::parse).transpose()?;
        match current {
            Some(current) if current.username == pending.username => {
                // Single strategy: put the current password back.
                self.set_password(&current.username, &current.password, None)
                    .await
            }
            _ => self.disable_login(&pending.username).await,
        }
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let previous = DbCredential::parse(previous)?;
        let current = DbCredential::parse(current)?;
        if previous.username == current.username {
            // Single strategy: the old password stopped working when the new one was set.
            return Ok(());
        }
        self.disable_login(&previous.username).await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        let held = self.held_by(&credential).await?;
        Ok(Some(
            held.into_iter()
                .map(|(scope, _)| scope.to_string())
                .collect(),
        ))
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<tenure_plugin_api::NarrowReport, PluginError> {
        let credential = DbCredential::parse(current)?;
        let approved = approved(ctx.scopes);
        let mut report = tenure_plugin_api::NarrowReport::default();
        let mut kept_ownership = Vec::new();
        for (scope, holder) in self.held_by(&credential).await? {
            if approved.contains(&scope) {
                report.remaining.push(scope.to_string());
                continue;
            }
            // A grant option held on an approved privilege: only the option
            // goes; on an unapproved one, the privilege goes with it.
            let (kept, revoked) = match &scope {
                Scope::GrantOption(inner) if approved.contains(inner) => {
                    (Some(inner.to_string()), &scope)
                }
                Scope::GrantOption(inner) => (None, &**inner),
                _ => (None, &scope),
            };
            match revoked.revoke_statement(&holder) {
                Some(statement) => {
                    self.execute(&statement).await?;
                    report.removed.push(scope.to_string());
                    report.remaining.extend(kept);
                }
                None => kept_ownership.push(scope.to_string()),
            }
        }
        if !kept_ownership.is_empty() {
            return Err(PluginError::permanent(format!(
                "{} holds {kept_ownership:?}, which no scope approves; Tenure never takes ownership away (transfer it with ALTER ... OWNER TO, or approve it as a scope); removed meanwhile: {:?}",
                credential.username, report.removed
            )));
        }
        Ok(report)
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let credential = DbCredential::parse(current)?;
        for role in &self.revoked_roles(&credential) {
            match self.config.revoke {
                RevokeMode::Nologin => self.disable_login(role).await?,
                RevokeMode::Drop => {
                    if self.role_exists(role).await? {
                        self.execute(&format!("ALTER ROLE {} NOLOGIN", ident(role)))
                            .await?;
                        self.terminate_sessions(role).await?;
                        self.execute(&format!("DROP OWNED BY {}", ident(role)))
                            .await?;
                        self.execute(&format!("DROP ROLE IF EXISTS {}", ident(role)))
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let credential = DbCredential::parse(value)?;
        match self.login(&credential).await? {
            Login::Accepted(user) if user == credential.username => Ok(LoginOutcome::Accepted(
                Proof::new("login", format!("a fresh connection logged in as {user}")),
            )),
            Login::Accepted(user) => Err(PluginError::permanent(format!(
                "logged in as {user}, not {}",
                credential.username
            ))),
            Login::Refused(code, message) => Ok(LoginOutcome::Refused(Proof::new(
                "login",
                format!("refused with SQLSTATE {code}: {message}"),
            ))),
        }
    }

    /// The role (single), or the group role the pair alternates in (dual).
    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        let credential = DbCredential::parse(value)?;
        Ok(Some(match self.config.strategy {
            Strategy::Single => credential.username,
            Strategy::Dual => dual_names(&credential.username).0,
        }))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(self.revoked_roles(&DbCredential::parse(value)?))
    }

    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        let previous = DbCredential::parse(previous)?;
        let current = DbCredential::parse(current)?;
        // Single strategy: one role, whose old password the new one replaced.
        Ok(if previous.username == current.username {
            Vec::new()
        } else {
            vec![previous.username]
        })
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let admin = self.admin().await?;
        let kept = DbCredential::username_of(except)?;
        let rows = sqlx::query(
            "SELECT n.name, r.rolcanlogin FROM unnest($1::text[]) AS n(name)
             LEFT JOIN pg_roles r ON r.rolname = n.name",
        )
        .bind(logins)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)?;
        rows.iter()
            .map(|row| {
                let login: String = row.try_get(0).map_err(admin_error)?;
                let can_login: Option<bool> = row.try_get(1).map_err(admin_error)?;
                let (enabled, detail) = match can_login {
                    None => (false, "absent".to_owned()),
                    // One password per role: the current one is the only one.
                    Some(true) if kept.as_deref() == Some(login.as_str()) => (
                        false,
                        "rolcanlogin=true, with the current credential only".to_owned(),
                    ),
                    Some(flag) => (flag, format!("rolcanlogin={flag}")),
                };
                Ok(LoginState {
                    login,
                    enabled,
                    detail,
                })
            })
            .collect()
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let kept = DbCredential::username_of(except)?;
        for role in logins {
            if kept.as_deref() != Some(role.as_str()) {
                self.disable_login(role).await?;
            }
        }
        Ok(())
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        let admin = self.admin().await?;
        let own = self.admin_role().await?;
        // Roles that can log in, without the system's (pg_*, the bootstrap
        // superuser) and the admin connection's own.
        sqlx::query_scalar(
            "SELECT rolname::text FROM pg_roles
             WHERE rolcanlogin AND rolname NOT LIKE 'pg\\_%' AND oid <> 10 AND rolname <> $1
             ORDER BY 1",
        )
        .bind(own)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_names_alternate() {
        assert_eq!(dual_names("app"), ("app".into(), "app_a".into()));
        assert_eq!(dual_names("app_a"), ("app".into(), "app_b".into()));
        assert_eq!(dual_names("app_b"), ("app".into(), "app_a".into()));
    }
}
