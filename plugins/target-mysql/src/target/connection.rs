//! Connections: the admin pool (with `NO_BACKSLASH_ESCAPES`, and whether
//! the server is MariaDB), and fresh logins with a credential, which carry
//! the admin URL's TLS settings.

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions};
use sqlx::{ConnectOptions, Connection, MySqlConnection, Row};
use tenure_plugin_api::{DbCredential, PluginError};

use super::MysqlTarget;

pub(super) struct Admin {
    pub(super) pool: MySqlPool,
    pub(super) options: MySqlConnectOptions,
    pub(super) mariadb: bool,
    /// The admin URL's TLS settings, carried into every login.
    tls: Tls,
}

/// `ssl-mode` and `ssl-ca` as the admin URL sets them.
#[derive(Debug, Clone)]
struct Tls {
    mode: sqlx::mysql::MySqlSslMode,
    ca: Option<std::path::PathBuf>,
}

impl Tls {
    /// The TLS settings of `url` (sqlx reads the mode; the CA file it does
    /// not give back, so it is read from the URL here).
    fn of(url: &str, options: &MySqlConnectOptions) -> Self {
        let ca = url::Url::parse(url).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "ssl-ca" || k == "sslca")
                .map(|(_, v)| std::path::PathBuf::from(v.into_owned()))
        });
        Self {
            mode: options.get_ssl_mode(),
            ca,
        }
    }

    fn apply(&self, options: MySqlConnectOptions) -> MySqlConnectOptions {
        let options = options.ssl_mode(self.mode);
        match &self.ca {
            Some(ca) => options.ssl_ca(ca),
            None => options,
        }
    }
}

pub(super) enum Login {
    Accepted(String),
    Refused(u16, String),
}

pub(super) fn number(err: &sqlx::Error) -> Option<u16> {
    match err {
        sqlx::Error::Database(e) => e
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

pub(super) fn admin_error(err: sqlx::Error) -> PluginError {
    match (&err, number(&err)) {
        (_, Some(1044 | 1045 | 1227 | 1142 | 1698)) => {
            PluginError::unauthorized(format!("admin: {err}"))
        }
        (sqlx::Error::Database(_), _) => PluginError::permanent(format!("statement failed: {err}")),
        _ => PluginError::retryable(format!("admin connection: {err}")),
    }
}

/// Adds `NO_BACKSLASH_ESCAPES` to a session's `sql_mode`, so that
/// [`literal`](crate::privileges::literal) is the only quoting rule.
const NO_BACKSLASH_ESCAPES: &str =
    "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')";

impl MysqlTarget {
    pub(super) async fn admin(&self) -> Result<&Admin, PluginError> {
        self.admin
            .get_or_try_init(|| async {
                let url = self
                    .config
                    .admin_url
                    .resolve()
                    .map_err(|e| PluginError::permanent(format!("admin_url: {e}")))?;
                let options = MySqlConnectOptions::from_str(url.expose())
                    .map_err(|_| PluginError::permanent("admin_url is not a valid mysql:// URL"))?
                    .disable_statement_logging();
                let pool = MySqlPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(self.config.connect_timeout)
                    .after_connect(|connection, _| {
                        Box::pin(async move {
                            sqlx::Executor::execute(connection, NO_BACKSLASH_ESCAPES).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await
                    .map_err(admin_error)?;
                let version: String = sqlx::query_scalar("SELECT VERSION()")
                    .fetch_one(&pool)
                    .await
                    .map_err(admin_error)?;
                Ok(Admin {
                    tls: Tls::of(url.expose(), &options),
                    pool,
                    options,
                    mariadb: version.contains("MariaDB"),
                })
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

    pub(super) async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
        let admin = self.admin().await?;
        // Exactly what the secret holds: the admin's database is not the account's.
        let mut options = MySqlConnectOptions::new()
            .host(
                credential
                    .host
                    .as_deref()
                    .unwrap_or(admin.options.get_host()),
            )
            .port(credential.port.unwrap_or(admin.options.get_port()))
            .username(&credential.username)
            .password(credential.password.expose())
            .disable_statement_logging();
        // The admin URL's TLS settings: the login is as protected as the admin.
        options = admin.tls.apply(options);
        if let Some(dbname) = &credential.dbname {
            options = options.database(dbname);
        }
        let attempt = async {
            let mut connection = MySqlConnection::connect_with(&options).await?;
            // Without arguments: the text protocol, one round trip, nothing to prepare.
            let row = sqlx::Executor::fetch_one(&mut connection, "SELECT CURRENT_USER()").await?;
            let user: String = row.try_get(0)?;
            let _ = connection.close().await;
            Ok::<_, sqlx::Error>(user)
        };
        match tokio::time::timeout(self.config.connect_timeout, attempt).await {
            Err(_) => Err(PluginError::retryable("login attempt timed out")),
            Ok(Ok(user)) => Ok(Login::Accepted(user)),
            Ok(Err(err)) => match number(&err) {
                // Access denied, account locked, password expired.
                Some(code @ (1045 | 1698 | 3118 | 4151 | 1862)) => {
                    let message = match &err {
                        sqlx::Error::Database(e) => e.message().to_owned(),
                        other => other.to_string(),
                    };
                    Ok(Login::Refused(code, message))
                }
                Some(_) => Err(PluginError::permanent(format!("login failed: {err}"))),
                None => Err(PluginError::retryable(format!("login failed: {err}"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_urls_tls_settings_carry_into_logins() {
        let url = "mysql://admin:pw@db.example:3306/mysql?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/tenure/ca.pem";
        let options = MySqlConnectOptions::from_str(url).expect("url");
        let tls = Tls::of(url, &options);
        assert!(matches!(
            tls.mode,
            sqlx::mysql::MySqlSslMode::VerifyIdentity
        ));
        assert_eq!(tls.ca, Some(std::path::PathBuf::from("/etc/tenure/ca.pem")));
        let login = tls.apply(MySqlConnectOptions::new().host("other.example"));
        assert!(matches!(
            login.get_ssl_mode(),
            sqlx::mysql::MySqlSslMode::VerifyIdentity
        ));
    }
}
