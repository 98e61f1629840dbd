//! The user's logins (`user`, or `user/KEYID` for one key): which a
//! retirement leaves, their states, disabling them, and listing the users
//! with an active key.

use tenure_plugin_api::{LoginState, PluginError, SecretValue};

use super::IamTarget;
use crate::error::error;
use crate::key::AccessKey;

impl IamTarget {
    /// [`Target::retired_logins`](tenure_plugin_api::Target::retired_logins).
    pub(super) fn retired_keys(
        &self,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<Vec<String>, PluginError> {
        let previous = AccessKey::parse(previous)?;
        let current = AccessKey::parse(current)?;
        Ok(
            if previous.access_key_id.is_empty() || previous.access_key_id == current.access_key_id
            {
                Vec::new()
            } else {
                vec![format!("{}/{}", previous.user_name, previous.access_key_id)]
            },
        )
    }

    /// [`Target::login_states`](tenure_plugin_api::Target::login_states).
    pub(super) async fn user_login_states(
        &self,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<Vec<LoginState>, PluginError> {
        let kept = key_id_of(except)?;
        let mut states = Vec::with_capacity(logins.len());
        for login in logins {
            let (user, key) = split_login(login);
            let keys = self.keys_or_none(user).await?;
            let active: Vec<&str> = keys
                .iter()
                .filter(|k| k.active && Some(&k.id) != kept.as_ref())
                .filter(|k| key.is_none_or(|wanted| k.id == wanted))
                .map(|k| k.id.as_str())
                .collect();
            let mut detail = match (key, active.as_slice()) {
                (Some(id), []) if keys.iter().any(|k| k.id == id) => format!("key {id} inactive"),
                (Some(id), []) => format!("key {id} absent"),
                (None, []) if keys.is_empty() => "no access keys".to_owned(),
                (None, []) => "no other active access key".to_owned(),
                (_, ids) => format!("active access keys: {}", ids.join(", ")),
            };
            // The whole user logs in with its console password too.
            let console = key.is_none() && self.has_console_login(user).await?;
            detail.push_str(if console {
                "; console password (login profile) set"
            } else if key.is_none() {
                "; no console password"
            } else {
                ""
            });
            states.push(LoginState {
                login: login.clone(),
                enabled: !active.is_empty() || console,
                detail,
            });
        }
        Ok(states)
    }

    /// [`Target::disable_logins`](tenure_plugin_api::Target::disable_logins).
    pub(super) async fn disable_user_logins(
        &self,
        logins: &[String],
        except: Option<&SecretValue>,
    ) -> Result<(), PluginError> {
        let kept = key_id_of(except)?;
        for login in logins {
            let (user, key) = split_login(login);
            for other in self.keys_or_none(user).await? {
                let wanted = key.is_none_or(|id| other.id == id);
                if wanted && Some(&other.id) != kept.as_ref() {
                    self.remove_key(user, &other.id).await?;
                }
            }
            if key.is_none() {
                // The console password is never the credential kept.
                self.delete_console_login(user).await?;
                if kept.is_none() {
                    self.clear_issuing(user).await?;
                }
            }
        }
        Ok(())
    }

    /// [`Target::list_logins`](tenure_plugin_api::Target::list_logins): the
    /// users with an active key, but the admin's own.
    pub(super) async fn users_with_keys(&self) -> Result<Vec<String>, PluginError> {
        let own = self.admin_user().await?;
        let iam = self.iam().await;
        let mut users = Vec::new();
        let mut marker = None;
        loop {
            let out = iam
                .list_users()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| error("list users", e))?;
            users.extend(out.users().iter().map(|u| u.user_name().to_owned()));
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        let mut with_keys = Vec::new();
        for user in users {
            if Some(&user) == own.as_ref() {
                continue;
            }
            if self.keys_or_none(&user).await?.iter().any(|k| k.active) {
                with_keys.push(user);
            }
        }
        with_keys.sort();
        Ok(with_keys)
    }

    /// The IAM user the admin credentials belong to, if they are a user's.
    async fn admin_user(&self) -> Result<Option<String>, PluginError> {
        let sts = aws_sdk_sts::Client::new(self.sdk().await);
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| error("sts get-caller-identity", e))?;
        Ok(out
            .arn()
            .and_then(|arn| arn.split_once(":user/"))
            .and_then(|(_, path)| path.rsplit('/').next())
            .map(str::to_owned))
    }
}

/// The key id of `value`, if there is a value: the key a check or a
/// retirement keeps.
fn key_id_of(value: Option<&SecretValue>) -> Result<Option<String>, PluginError> {
    Ok(value
        .map(AccessKey::parse)
        .transpose()?
        .map(|k| k.access_key_id))
}

/// A login name: `user` (every key of the user) or `user/KEYID` (one key).
fn split_login(login: &str) -> (&str, Option<&str>) {
    match login.split_once('/') {
        Some((user, key)) => (user, Some(key)),
        None => (login, None),
    }
}
