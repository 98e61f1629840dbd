//! [`PostgresTarget`]: the struct, its construction, and the [`Target`]
//! impl: what each method does, in the words of the helpers the modules for
//! each job provide (connections, rotation, narrowing, revocation).

mod connection;
mod narrowing;
mod revocation;
mod rotation;

use sqlx::Row;
use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::{PostgresConfig, RevokeMode, Strategy};
use crate::privileges::Scope;
use crate::sql::ident;
use connection::{Admin, Login, admin_error};
use narrowing::approved;
use rotation::dual_names;

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

impl PostgresTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: PostgresConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
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
