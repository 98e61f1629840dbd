//! The users' logins: a login attempt that proves a refusal, which logins
//! a retirement leaves, their states, disabling them (the previous
//! passwords on retire, the whole user on revoke), and listing the users
//! that are on.

use tenure_plugin_api::{
    DbCredential, LoginOutcome, LoginState, PluginError, Proof, SecretValue, Target, TargetContext,
};

use super::RedisTarget;
use super::connection::{Login, redis_error};
use super::rotation::{hash, same_digest};
use crate::acl::{flags, passwords};

impl RedisTarget {
    /// [`Target::try_login`].
    pub(super) async fn try_credential(
        &self,
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

    /// [`Target::retired_logins`].
    pub(super) fn retired_users(
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
    pub(super) async fn user_login_states(
        &self,
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
    pub(super) async fn disable_users(
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
    pub(super) async fn users_that_are_on(&self) -> Result<Vec<String>, PluginError> {
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
