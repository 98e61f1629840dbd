//! The roles' logins: which a retirement leaves, whether they can log in,
//! disabling them, and listing the roles that can.

use sqlx::Row;
use tenure_plugin_api::{DbCredential, LoginState, PluginError, SecretValue};

use super::PostgresTarget;
use super::connection::admin_error;

impl PostgresTarget {
    /// [`Target::retired_logins`](tenure_plugin_api::Target::retired_logins).
    pub(super) fn retired_roles(
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

    /// [`Target::login_states`](tenure_plugin_api::Target::login_states).
    pub(super) async fn role_login_states(
        &self,
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

    /// [`Target::disable_logins`](tenure_plugin_api::Target::disable_logins).
    pub(super) async fn disable_roles(
        &self,
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

    /// [`Target::list_logins`](tenure_plugin_api::Target::list_logins).
    pub(super) async fn roles_that_log_in(&self) -> Result<Vec<String>, PluginError> {
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

    /// The admin connection's own role, never listed nor disabled.
    async fn admin_role(&self) -> Result<String, PluginError> {
        let admin = self.admin().await?;
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&admin.pool)
            .await
            .map_err(admin_error)
    }
}
