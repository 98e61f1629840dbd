//! [`RedisTarget`]: the struct, its construction, and the [`Target`] impl:
//! what each method does, in the words of the helpers the modules for each
//! job provide (connections, rotation, narrowing).

mod connection;
mod narrowing;
mod rotation;

use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::acl::{flags, passwords};
use crate::config::RedisConfig;
use crate::scope::Scope;
use connection::{Admin, Login, redis_error};
use rotation::{hash, same_digest};

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

impl RedisTarget {
    /// A target named `name`. Connects lazily, on first use.
    pub fn new(name: impl Into<String>, config: RedisConfig) -> Self {
        Self {
            name: name.into(),
            config,
            admin: OnceCell::new(),
        }
    }
}

#[async_trait]
impl Target for RedisTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> TargetCapabilities {
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
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

    /// [`Target::try_login`].
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

    /// [`Target::retired_logins`].
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

    /// [`Target::login_states`].
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

    /// [`Target::disable_logins`].
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

    /// [`Target::list_logins`].
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
