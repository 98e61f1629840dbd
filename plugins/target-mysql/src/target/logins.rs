//! The accounts' logins: their lock states, locking them, and listing the
//! unlocked accounts of the managed host.

use sqlx::Row;
use tenure_plugin_api::{DbCredential, LoginState, PluginError, SecretValue};

use super::MysqlTarget;
use super::connection::admin_error;

/// `(User, 'Y' | 'N')` for every account (not role) of one host (`?`):
/// MariaDB keeps the lock in `mysql.global_priv`'s JSON, MySQL in a column.
fn locked_query(mariadb: bool) -> &'static str {
    if mariadb {
        "SELECT CONVERT(User USING utf8mb4), IF(JSON_VALUE(Priv, '$.account_locked') IN ('1', 'true'), 'Y', 'N')
         FROM mysql.global_priv
         WHERE Host = ? AND COALESCE(JSON_VALUE(Priv, '$.is_role'), 'false') NOT IN ('1', 'true')"
    } else {
        "SELECT CONVERT(User USING utf8mb4), CONVERT(account_locked USING utf8mb4) FROM mysql.user WHERE Host = ?"
    }
}

impl MysqlTarget {
    /// [`Target::login_states`](tenure_plugin_api::Target::login_states).
    pub(super) async fn account_login_states(
        &self,
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

    /// [`Target::disable_logins`](tenure_plugin_api::Target::disable_logins).
    pub(super) async fn lock_logins(
        &self,
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

    /// [`Target::list_logins`](tenure_plugin_api::Target::list_logins).
    pub(super) async fn unlocked_accounts(&self) -> Result<Vec<String>, PluginError> {
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

    /// The admin connection's own user name.
    async fn admin_user(&self) -> Result<String, PluginError> {
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
