//! Narrowing helpers: the account's default role, revoking one scope, and
//! the order scopes are revoked in.

use tenure_plugin_api::PluginError;

use super::MysqlTarget;
use super::connection::{admin_error, number};
use crate::privileges::Scope;

impl MysqlTarget {
    /// MariaDB's default role of `user`, if one is set.
    pub(super) async fn default_role(&self, user: &str) -> Result<Option<String>, PluginError> {
        let admin = self.admin().await?;
        let role: Option<Option<String>> = sqlx::query_scalar(
            "SELECT CONVERT(JSON_VALUE(Priv, '$.default_role') USING utf8mb4)
               FROM mysql.global_priv WHERE User = ? AND Host = ?",
        )
        .bind(user)
        .bind(&self.config.account_host)
        .fetch_optional(&admin.pool)
        .await
        .map_err(admin_error)?;
        Ok(role.flatten().filter(|r| !r.is_empty()))
    }

    /// Runs one scope's revoke. A grant that is already gone (revoked with
    /// another one, or meanwhile) is success.
    pub(super) async fn revoke_scope(
        &self,
        scope: &Scope,
        account: &str,
    ) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let statement = scope.revoke_statement(account, admin.mariadb);
        match sqlx::raw_sql(&statement).execute(&admin.pool).await {
            Ok(_) => Ok(()),
            // No such grant (global/database, table/column, routine, role).
            Err(err) if matches!(number(&err), Some(1141 | 1147 | 1403 | 1962)) => Ok(()),
            Err(err) => {
                let err = admin_error(err);
                let needs = match scope {
                    _ if err.kind() != tenure_plugin_api::ErrorKind::Unauthorized => "",
                    Scope::Role(_) | Scope::RoleAdmin(_) => {
                        " (the admin account needs the role WITH ADMIN OPTION)"
                    }
                    Scope::Proxy(_) | Scope::ProxyGrant(_) => {
                        " (the admin account needs PROXY on that user, or on ''@'%', WITH GRANT OPTION)"
                    }
                    _ => "",
                };
                Err(err.context(format!("revoking {scope}{needs}")))
            }
        }
    }
}

/// The order of revokes: column privileges before their table's, options
/// before what they belong to.
pub(super) fn revoke_rank(scope: &Scope) -> u8 {
    match scope {
        Scope::Column { .. } => 0,
        Scope::Routine { .. } => 1,
        Scope::Privilege { .. } => 2,
        Scope::RoleAdmin(_) => 3,
        Scope::Role(_) => 4,
        Scope::ProxyGrant(_) => 5,
        Scope::Proxy(_) => 6,
    }
}
