//! Revocation helpers: the roles a revocation disables, NOLOGIN, and
//! ending a role's sessions.

use tenure_plugin_api::{DbCredential, PluginError};

use super::PostgresTarget;
use super::connection::admin_error;
use super::rotation::dual_names;
use crate::config::Strategy;
use crate::sql::ident;

impl PostgresTarget {
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

    pub(super) async fn terminate_sessions(&self, role: &str) -> Result<u64, PluginError> {
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
