//! Revocation: locking (or dropping) the account and ending its
//! connections, and a login attempt that proves the refusal.

use tenure_plugin_api::{DbCredential, LoginOutcome, PluginError, Proof, SecretValue};

use super::MysqlTarget;
use super::connection::{Login, admin_error, number};
use crate::config::RevokeMode;

impl MysqlTarget {
    /// [`Target::revoke`](tenure_plugin_api::Target::revoke).
    pub(super) async fn revoke_account(&self, current: &SecretValue) -> Result<(), PluginError> {
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

    /// [`Target::try_login`](tenure_plugin_api::Target::try_login).
    pub(super) async fn try_credential(
        &self,
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

    /// Locks `user` and ends its connections. Already gone is success.
    pub(super) async fn lock(&self, user: &str) -> Result<(), PluginError> {
        if self.exists(user).await? {
            self.execute(&format!("ALTER USER {} ACCOUNT LOCK", self.account(user)))
                .await?;
        }
        self.kill_connections(user).await
    }

    async fn kill_connections(&self, user: &str) -> Result<(), PluginError> {
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
