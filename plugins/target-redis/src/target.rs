//! [`RedisTarget`]: the [`Target`] trait over Redis ACL users.

use redis::aio::MultiplexedConnection;
use redis::{Client, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, Value};
use sha2::{Digest, Sha256};
use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::acl::{Acl, flags, passwords};
use crate::config::RedisConfig;
use crate::dryrun;
use crate::scope::Scope;

struct Admin {
    connection: MultiplexedConnection,
    info: ConnectionInfo,
}

/// The redis target.
pub struct RedisTarget {
    name: String,
    config: RedisConfig,
    admin: OnceCell<Admin>,
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

enum Login {
    Accepted,
    Refused(String),
}

fn redis_error(context: &str, err: redis::RedisError) -> PluginError {
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

/// Whether two password digests are the same, in constant time.
fn same_digest(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The SHA-256 form Redis accepts for `#<hash>` and `!<hash>`.
fn hash(password: &SecretValue) -> String {
    hex::encode(Sha256::digest(password.expose().as_bytes()))
}

impl RedisTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: RedisConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }

    async fn admin(&self) -> Result<&Admin, PluginError> {
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

    async fn acl(&self, args: &[&str]) -> Result<Value, PluginError> {
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
    async fn get_user(&self, user: &str) -> Result<Option<Value>, PluginError> {
        match self.acl(&["GETUSER", user]).await? {
            Value::Nil => Ok(None),
            reply => Ok(Some(reply)),
        }
    }

    async fn has_password(&self, user: &str, password: &SecretValue) -> Result<bool, PluginError> {
        let Some(reply) = self.get_user(user).await? else {
            return Ok(false);
        };
        let digest = hash(password);
        Ok(passwords(&reply)
            .iter()
            .any(|held| same_digest(held, &digest)))
    }

    async fn remove_password(&self, user: &str, password: &SecretValue) -> Result<(), PluginError> {
        if self.has_password(user, password).await? {
            self.acl(&["SETUSER", user, &format!("!{}", hash(password))])
                .await?;
        }
        Ok(())
    }

    /// The user's ACL; a user that does not exist is not found.
    async fn acl_of(&self, user: &str) -> Result<Acl, PluginError> {
        let reply = self
            .get_user(user)
            .await?
            .ok_or_else(|| PluginError::not_found(format!("ACL user {user} does not exist")))?;
        Ok(Acl::parse(&reply))
    }

    /// Replaces the user's rules with `after`, and proves with `ACL DRYRUN`
    /// that every command a deny rule refused under `before` is still
    /// refused; if one is not, `before` is put back and the narrowing fails.
    async fn set_acl(&self, user: &str, after: &Acl, before: &Acl) -> Result<(), PluginError> {
        let mut connection = self.admin().await?.connection.clone();
        let denials: Vec<String> = before.denials().map(str::to_owned).collect();
        let probes = dryrun::denied(&mut connection, &denials)
            .await
            .map_err(|e| redis_error("COMMAND INFO", e))?;
        let refused_before = dryrun::refused(&mut connection, user, &probes)
            .await
            .map_err(|e| redis_error("ACL DRYRUN", e))?;
        let setuser = |acl: &Acl| {
            let mut args = vec!["SETUSER".to_owned(), user.to_owned()];
            args.extend(acl.setuser_rules());
            args
        };
        let args = setuser(after);
        self.acl(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        let refused_after = dryrun::refused(&mut connection, user, &probes)
            .await
            .map_err(|e| redis_error("ACL DRYRUN", e))?;
        let widened: Vec<&str> = probes
            .iter()
            .zip(refused_before.iter().zip(&refused_after))
            .filter(|(_, (before, after))| **before && !**after)
            .map(|(probe, _)| probe.command.as_str())
            .collect();
        if widened.is_empty() {
            return Ok(());
        }
        let args = setuser(before);
        self.acl(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .await?;
        Err(PluginError::permanent(format!(
            "narrowing ACL user {user} would have allowed {widened:?}, which its deny rules refused; its previous rules are restored"
        )))
    }

    async fn login(&self, credential: &DbCredential) -> Result<Login, PluginError> {
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

#[async_trait]
impl Target for RedisTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        TargetCapabilities {
            rotate: true,
            narrow: true,
            revoke: true,
            login: true,
            logins: true,
        }
    }

    async fn issue(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = DbCredential::from_current(current)?;
        let password = DbCredential::fresh_password(self.config.password_length)?;
        Ok(current
            .with_login(current.username.clone(), password)
            .to_value())
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if self.get_user(&pending.username).await?.is_none() {
            return Err(PluginError::not_found(format!(
                "ACL user {} does not exist",
                pending.username
            )));
        }
        // Added next to the current password: both work until retire.
        self.acl(&[
            "SETUSER",
            &pending.username,
            &format!("#{}", hash(&pending.password)),
        ])
        .await?;
        Ok(())
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = DbCredential::parse(pending)?;
        if let Some(current) = current.map(DbCredential::parse).transpose()?
            && current.password.ct_eq(&pending.password)
        {
            return Ok(());
        }
        self.remove_password(&pending.username, &pending.password)
            .await
    }

    /// The user keeps the current password only: the previous one goes,
    /// and so does any other set by hand meanwhile.
    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let logins = self.retired_logins(previous, current)?;
        self.disable_logins(ctx, &logins, Some(current)).await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let credential = DbCredential::parse(current)?;
        Ok(Some(self.acl_of(&credential.username).await?.privileges()))
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let credential = DbCredential::parse(current)?;
        let user = credential.username.as_str();
        let approved = ctx
            .scopes
            .iter()
            .map(|scope| scope.parse::<Scope>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PluginError::permanent(format!("scopes: {e}")))?;
        let before = self.acl_of(user).await?;
        let after = before.narrowed(&approved);
        let (remaining, removed): (Vec<String>, Vec<String>) = before
            .privileges()
            .into_iter()
            .partition(|p| after.privileges().contains(p));
        if !removed.is_empty() {
            self.set_acl(user, &after, &before).await?;
        }
        Ok(NarrowReport { removed, remaining })
    }

    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let logins = self.logins(current)?;
        self.disable_logins(ctx, &logins, None).await
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let credential = DbCredential::parse(value)?;
        Ok(match self.login(&credential).await? {
            Login::Accepted => LoginOutcome::Accepted(Proof::new(
                "auth",
                format!(
                    "a fresh connection authenticated as {}",
                    credential.username
                ),
            )),
            Login::Refused(message) => {
                LoginOutcome::Refused(Proof::new("auth", format!("refused: {message}")))
            }
        })
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(DbCredential::parse(value)?.username))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![DbCredential::parse(value)?.username])
    }

    fn retired_logins(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        let previous = DbCredential::parse(previous)?;
        let current = DbCredential::parse(current)?;
        // The user stays; after a retire it holds the current password only.
        Ok(
            if previous.username == current.username && previous.password.ct_eq(&current.password) {
                Vec::new()
            } else {
                vec![previous.username]
            },
        )
    }

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let kept = except.map(DbCredential::parse).transpose()?;
        let mut states = Vec::with_capacity(logins.len());
        for login in logins {
            let (enabled, detail) = match self.get_user(login).await? {
                None => (false, "absent".to_owned()),
                Some(reply) => {
                    let flags = flags(&reply);
                    let on = flags.iter().any(|f| f == "on");
                    let nopass = flags.iter().any(|f| f == "nopass");
                    let mut held = passwords(&reply);
                    let current = kept
                        .as_ref()
                        .filter(|k| &k.username == login)
                        .map(|k| hash(&k.password));
                    held.retain(|h| !current.as_ref().is_some_and(|c| same_digest(h, c)));
                    match (on, nopass, held.len()) {
                        (false, ..) => (false, "flags: off".to_owned()),
                        (true, true, _) => (true, "flags: on, nopass".to_owned()),
                        (true, false, 0) if current.is_some() => {
                            (false, "flags: on, the current password only".to_owned())
                        }
                        (true, false, 0) => (false, "flags: on, no password".to_owned()),
                        (true, false, n) if current.is_some() => (
                            true,
                            format!("flags: on, {n} password(s) besides the current one"),
                        ),
                        (true, false, n) => (true, format!("flags: on, {n} password(s)")),
                    }
                }
            };
            states.push(LoginState {
                login: login.clone(),
                enabled,
                detail,
            });
        }
        Ok(states)
    }

    async fn disable_logins(
        &self,
        ctx: TargetContext<'_>,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let kept = except.map(DbCredential::parse).transpose()?;
        for login in logins {
            match kept.as_ref().filter(|k| &k.username == login) {
                // Retired: every password but the current one goes.
                Some(current) => {
                    let states = self
                        .login_states(ctx, std::slice::from_ref(login), except)
                        .await?;
                    if states.iter().any(|s| s.enabled) {
                        self.acl(&[
                            "SETUSER",
                            login,
                            "resetpass",
                            &format!("#{}", hash(&current.password)),
                        ])
                        .await?;
                    }
                }
                // Revoked: the user is switched off and its clients killed.
                None => {
                    if self.get_user(login).await?.is_some() {
                        self.acl(&["SETUSER", login, "off"]).await?;
                    }
                    let mut connection = self.admin().await?.connection.clone();
                    let _killed: i64 = redis::cmd("CLIENT")
                        .arg(&["KILL", "USER", login.as_str()])
                        .query_async(&mut connection)
                        .await
                        .map_err(|e| redis_error("CLIENT KILL", e))?;
                }
            }
        }
        Ok(())
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
        let mut connection = self.admin().await?.connection.clone();
        let own: String = redis::cmd("ACL")
            .arg("WHOAMI")
            .query_async(&mut connection)
            .await
            .map_err(|e| redis_error("ACL WHOAMI", e))?;
        let lines: Vec<String> = redis::cmd("ACL")
            .arg("LIST")
            .query_async(&mut connection)
            .await
            .map_err(|e| redis_error("ACL LIST", e))?;
        // `user <name> on|off <rules...>`: users that are on, but the admin's own.
        let mut users: Vec<String> = lines
            .iter()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let (_, name) = (words.next()?, words.next()?);
                let on = words.any(|w| w == "on");
                (on && name != own).then(|| name.to_owned())
            })
            .collect();
        users.sort();
        Ok(users)
    }
}
