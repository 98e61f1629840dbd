//! Connections: the admin pool and its own role, and fresh logins with
//! exactly what a credential holds.

use std::str::FromStr;

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection};
use tenure_plugin_api::{DbCredential, PluginError};

use super::PostgresTarget;

/// How a login attempt ended.
pub(super) enum Login {
    /// Logged in as this user.
    Accepted(String),
    /// The server refused the credential: SQLSTATE and message.
    Refused(String, String),
}

pub(super) struct Admin {
    pub(super) pool: PgPool,
    options: PgConnectOptions,
}

pub(super) fn admin_error(err: sqlx::Error) -> PluginError {
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

impl PostgresTarget {
    pub(super) async fn admin(&self) -> Result<&Admin, PluginError> {
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

    pub(super) async fn execute(&self, statement: &str) -> Result<(), PluginError> {
        let admin = self.admin().await?;
        sqlx::raw_sql(statement)
            .execute(&admin.pool)
            .await
            .map_err(admin_error)?;
        Ok(())
    }

    /// A fresh connection with exactly what the credential holds.
    pub(super) async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
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

    /// The admin connection's own role, never listed nor disabled.
    pub(super) async fn admin_role(&self) -> Result<String, PluginError> {
        let admin = self.admin().await?;
        sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(&admin.pool)
            .await
            .map_err(admin_error)
    }
}
