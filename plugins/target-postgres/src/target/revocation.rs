//! Revocation: NOLOGIN (or DROP ROLE) on the credential's roles, ending
//! their sessions, and a login attempt that proves the refusal.

use tenure_plugin_api::{DbCredential, LoginOutcome, PluginError, Proof, SecretValue};

use super::PostgresTarget;
use super::connection::{Login, admin_error};
use super::rotation::dual_names;
use crate::config::{RevokeMode, Strategy};
use crate::sql::ident;

impl PostgresTarget {
    /// [`Target::revoke`](tenure_plugin_api::Target::revoke).
    pub(super) async fn revoke_roles(&self, current: &SecretValue) -> Result<(), PluginError> {
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

    /// [`Target::try_login`](tenure_plugin_api::Target::try_login).
    pub(super) async fn try_credential(
        &self,
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

    /// What a revocation of `credential` disables: its role, and for the
    /// dual strategy the other login of the pair (it may still be inside its
    /// grace period) and the group.
    pub(super) fn revoked_roles(&self, credential: &DbCredential) -> Vec<String> {
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

    pub(super) async fn disable_login(&self, role: &str) -> Result<(), PluginError> {
        if self.role_exists(role).await? {
            self.execute(&format!("ALTER ROLE {} NOLOGIN", ident(role)))
                .await?;
        }
        self.terminate_sessions(role).await?;
        Ok(())
    }
}
