//! Login helpers: the query for the accounts' lock states, and the admin
//! connection's own user (never listed nor locked).

use tenure_plugin_api::PluginError;

use super::MysqlTarget;
use super::connection::admin_error;

/// `(User, 'Y' | 'N')` for every account (not role) of one host (`?`):
/// MariaDB keeps the lock in `mysql.global_priv`'s JSON, MySQL in a column.
pub(super) fn locked_query(mariadb: bool) -> &'static str {
    if mariadb {
        "SELECT CONVERT(User USING utf8mb4), IF(JSON_VALUE(Priv, '$.account_locked') IN ('1', 'true'), 'Y', 'N')
         FROM mysql.global_priv
         WHERE Host = ? AND COALESCE(JSON_VALUE(Priv, '$.is_role'), 'false') NOT IN ('1', 'true')"
    } else {
        "SELECT CONVERT(User USING utf8mb4), CONVERT(account_locked USING utf8mb4) FROM mysql.user WHERE Host = ?"
    }
}

impl MysqlTarget {
    /// The admin connection's own user name.
    pub(super) async fn admin_user(&self) -> Result<String, PluginError> {
        let admin = self.admin().await?;
        let current: String = sqlx::query_scalar("SELECT CURRENT_USER()")
            .fetch_one(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(current
            .rsplit_once('@')
            .map_or(current.clone(), |(user, _)| user.to_owned()))
    }
}
