//! Revocation helpers: locking an account and ending its connections.

use tenure_plugin_api::PluginError;

use super::MysqlTarget;
use super::connection::{admin_error, number};

impl MysqlTarget {
    /// Locks `user` and ends its connections. Already gone is success.
    pub(super) async fn lock(&self, user: &str) -> Result<(), PluginError> {
        if self.exists(user).await? {
            self.execute(&format!("ALTER USER {} ACCOUNT LOCK", self.account(user)))
                .await?;
        }
        self.kill_connections(user).await
    }

    pub(super) async fn kill_connections(&self, user: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()",
        )
        .bind(user)
        .fetch_all(&admin.pool)
        .await
        .map_err(admin_error)?;
        let ids: Vec<u64> = ids
            .iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| PluginError::permanent(format!("unexpected connection id {id:?}")))
            })
            .collect::<Result<_, _>>()?;
        for id in ids {
            // A connection that ended meanwhile is already gone (error 1094).
            match sqlx::raw_sql(&format!("KILL CONNECTION {id}"))
                .execute(&admin.pool)
                .await
            {
                Err(err) if number(&err) == Some(1094) => {}
                other => {
                    other.map_err(admin_error)?;
                }
            }
        }
        Ok(())
    }
}
