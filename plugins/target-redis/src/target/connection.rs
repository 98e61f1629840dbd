//! Connections: the admin connection (`ACL` commands through it), and
//! fresh logins with a credential, over the admin's TLS settings.

use redis::aio::MultiplexedConnection;
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, Value};
use tenure_plugin_api::{DbCredential, PluginError};

use super::RedisTarget;

pub(super) struct Admin {
    pub(super) connection: MultiplexedConnection,
    info: ConnectionInfo,
}

pub(super) enum Login {
    Accepted,
    Refused(String),
}

pub(super) fn redis_error(context: &str, err: redis::RedisError) -> PluginError {
    let message = format!("{context}: {}", err.detail().unwrap_or(err.category()));
    match err.kind() {
        redis::ErrorKind::AuthenticationFailed => PluginError::unauthorized(message),
        redis::ErrorKind::Io => PluginError::retryable(message),
        _ if err.is_timeout() || err.is_connection_dropped() || err.is_connection_refusal() => {
            PluginError::retryable(message)
        }
        _ if err.code() == Some("NOPERM") => PluginError::unauthorized(message),
        _ => PluginError::permanent(message),
    }
}

impl RedisTarget {
    pub(super) async fn admin(&self) -> Result<&Admin, PluginError> {
        self.admin
            .get_or_try_init(|| async {
                let url = self
                    .config
                    .admin_url
                    .resolve()
                    .map_err(|e| PluginError::permanent(format!("admin_url: {e}")))?;
                let info = url
                    .expose()
                    .into_connection_info()
                    .map_err(|_| PluginError::permanent("admin_url is not a valid redis:// URL"))?;
                // With a CA file, a rediss:// server must present a
                // certificate it signed; without one, the system's roots.
                let client = match &self.config.ca_file {
                    Some(path) => {
                        let pem = std::fs::read(path).map_err(|e| {
                            PluginError::permanent(format!("ca_file {}: {e}", path.display()))
                        })?;
                        let certs = redis::TlsCertificates {
                            client_tls: None,
                            root_cert: Some(pem),
                        };
                        Client::build_with_tls(info, certs)
                    }
                    None => Client::open(info),
                }
                .map_err(|e| redis_error("admin connection", e))?;
                // The same TLS settings (and roots) carry into every login.
                let info = client.get_connection_info().clone();
                let connection = tokio::time::timeout(
                    self.config.connect_timeout,
                    client.get_multiplexed_async_connection(),
                )
                .await
                .map_err(|_| PluginError::retryable("admin connection timed out"))?
                .map_err(|e| redis_error("admin connection", e))?;
                Ok(Admin { connection, info })
            })
            .await
    }

    pub(super) async fn acl(&self, args: &[&str]) -> Result<Value, PluginError> {
        let mut connection = self.admin().await?.connection.clone();
        redis::cmd("ACL")
            .arg(args)
            .query_async(&mut connection)
            .await
            .map_err(|e| {
                redis_error(
                    &format!("ACL {}", args.first().copied().unwrap_or_default()),
                    e,
                )
            })
    }

    /// The user's ACL description, or `None` when the user does not exist.
    pub(super) async fn get_user(&self, user: &str) -> Result<Option<Value>, PluginError> {
        match self.acl(&["GETUSER", user]).await? {
            Value::Nil => Ok(None),
            reply => Ok(Some(reply)),
        }
    }

    pub(super) async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
        let admin = self.admin().await?;
        let mut info = admin.info.clone();
        if credential.host.is_some() || credential.port.is_some() {
            // Another host or port, the same TLS (never plain text when the
            // admin connection is TLS).
            let addr = match info.addr() {
                ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure,
                    tls_params,
                } => ConnectionAddr::TcpTls {
                    host: credential.host.clone().unwrap_or_else(|| host.clone()),
                    port: credential.port.unwrap_or(*port),
                    insecure: *insecure,
                    tls_params: tls_params.clone(),
                },
                ConnectionAddr::Tcp(host, port) => ConnectionAddr::Tcp(
                    credential.host.clone().unwrap_or_else(|| host.clone()),
                    credential.port.unwrap_or(*port),
                ),
                _ => ConnectionAddr::Tcp(
                    credential
                        .host
                        .clone()
                        .unwrap_or_else(|| "127.0.0.1".to_owned()),
                    credential.port.unwrap_or(6379),
                ),
            };
            info = info.set_addr(addr);
        }
        let settings = info
            .redis_settings()
            .clone()
            .set_username(&credential.username)
            .set_password(credential.password.expose());
        let info = info.set_redis_settings(settings);
        let client = Client::open(info).map_err(|e| redis_error("login", e))?;
        match tokio::time::timeout(
            self.config.connect_timeout,
            client.get_multiplexed_async_connection(),
        )
        .await
        {
            Err(_) => Err(PluginError::retryable("login attempt timed out")),
            Ok(Ok(_)) => Ok(Login::Accepted),
            Ok(Err(e))
                if e.kind() == redis::ErrorKind::AuthenticationFailed
                    || e.code() == Some("WRONGPASS") =>
            {
                Ok(Login::Refused(
                    e.detail().unwrap_or("authentication failed").to_owned(),
                ))
            }
            Ok(Err(e)) => Err(redis_error("login", e)),
        }
    }
}
