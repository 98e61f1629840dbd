//! [`IamTarget`]: the [`Target`] trait over IAM access keys.

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_iam::Client as Iam;
use aws_sdk_iam::types::{StatusType, Tag};
use tenure_plugin_api::{
    ErrorKind, LoginOutcome, LoginState, NarrowReport, PluginError, Proof, SecretValue, Target,
    TargetCapabilities, TargetContext, async_trait,
};
use tokio::sync::OnceCell;

use crate::config::IamConfig;
use crate::error::{code, error, refusal};
use crate::key::AccessKey;

/// The user tag that marks a key creation in progress.
const ISSUING: &str = "tenure-issuing";

/// The IAM access-key target.
pub struct IamTarget {
    name: String,
    config: IamConfig,
    sdk: OnceCell<SdkConfig>,
}

impl std::fmt::Debug for IamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamTarget")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One of the user's keys.
struct KeyInfo {
    id: String,
    active: bool,
}

impl IamTarget {
    /// A target named `name`; loads the AWS config lazily, on first use.
    pub fn new(name: impl Into<String>, config: IamConfig) -> Self {
        Self {
            name: name.into(),
            config,
            sdk: OnceCell::new(),
        }
    }

    /// A target over an SDK config built by the caller (tests, embedders).
    pub fn with_sdk_config(name: impl Into<String>, config: IamConfig, sdk: SdkConfig) -> Self {
        Self {
            name: name.into(),
            config,
            sdk: OnceCell::new_with(Some(sdk)),
        }
    }

    async fn sdk(&self) -> &SdkConfig {
        self.sdk
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(region) = &self.config.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(profile) = &self.config.profile {
                    loader = loader.profile_name(profile);
                }
                loader.load().await
            })
            .await
    }

    async fn iam(&self) -> Iam {
        Iam::new(self.sdk().await)
    }

    async fn keys(&self, user: &str) -> Result<Vec<KeyInfo>, PluginError> {
        let out = self
            .iam()
            .await
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list access keys of {user}"), e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .filter_map(|k| {
                Some(KeyInfo {
                    id: k.access_key_id()?.to_owned(),
                    active: k.status() == Some(&StatusType::Active),
                })
            })
            .collect())
    }

    async fn issuing_tag(&self, user: &str) -> Result<Option<String>, PluginError> {
        let out = self
            .iam()
            .await
            .list_user_tags()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list tags of {user}"), e))?;
        Ok(out
            .tags()
            .iter()
            .find(|t| t.key() == ISSUING)
            .map(|t| t.value().to_owned()))
    }

    async fn clear_issuing(&self, user: &str) -> Result<(), PluginError> {
        match self
            .iam()
            .await
            .untag_user()
            .user_name(user)
            .tag_keys(ISSUING)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("NoSuchEntity") => Ok(()),
            Err(e) => Err(error(&format!("untag {user}"), e)),
        }
    }

    /// Deactivates, then deletes, one key. Already gone is success.
    async fn remove_key(&self, user: &str, id: &str) -> Result<(), PluginError> {
        let iam = self.iam().await;
        match iam
            .update_access_key()
            .user_name(user)
            .access_key_id(id)
            .status(StatusType::Inactive)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok(()),
            Err(e) => return Err(error(&format!("deactivate key {id} of {user}"), e)),
        }
        match iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("NoSuchEntity") => Ok(()),
            Err(e) => Err(error(&format!("delete key {id} of {user}"), e)),
        }
    }

    /// Who STS says `key` is, or why it refused the key.
    async fn caller(&self, key: &AccessKey) -> Result<Result<String, String>, PluginError> {
        let credentials = Credentials::new(
            key.access_key_id.clone(),
            key.secret_access_key.expose().to_owned(),
            None,
            None,
            "tenure-under-test",
        );
        let config = aws_sdk_sts::config::Builder::from(self.sdk().await)
            .credentials_provider(credentials)
            .build();
        let sts = aws_sdk_sts::Client::from_conf(config);
        match sts.get_caller_identity().send().await {
            Ok(out) => Ok(Ok(out.arn().unwrap_or_default().to_owned())),
            Err(e) => match refusal(&e) {
                Some(reason) => Ok(Err(reason)),
                None => Err(error("sts get-caller-identity", e)),
            },
        }
    }

    async fn privileges_of(&self, user: &str) -> Result<Vec<String>, PluginError> {
        let iam = self.iam().await;
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let out = iam
                .list_attached_user_policies()
                .user_name(user)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| error(&format!("list policies of {user}"), e))?;
            all.extend(
                out.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        let inline = iam
            .list_user_policies()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list inline policies of {user}"), e))?;
        all.extend(inline.policy_names().iter().map(|n| format!("inline:{n}")));
        let groups = iam
            .list_groups_for_user()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("list groups of {user}"), e))?;
        all.extend(
            groups
                .groups()
                .iter()
                .map(|g| format!("group:{}", g.group_name())),
        );
        all.sort();
        Ok(all)
    }
}

impl IamTarget {
    /// The user's keys, or none when the user does not exist.
    async fn keys_or_none(&self, user: &str) -> Result<Vec<KeyInfo>, PluginError> {
        match self.keys(user).await {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            other => other,
        }
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

fn issuing_value(run: &str, before: &[KeyInfo]) -> String {
    let ids: Vec<&str> = before.iter().map(|k| k.id.as_str()).collect();
    format!("run={run};before={}", ids.join(","))
}

/// The key ids an earlier attempt of `run` recorded, if the tag is its own.
fn recorded_before(tag: &str, run: &str) -> Option<Vec<String>> {
    let rest = tag.strip_prefix("run=")?;
    let (tag_run, before) = rest.split_once(";before=")?;
    (tag_run == run).then(|| {
        before
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

#[async_trait]
impl Target for IamTarget {
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
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        let current = AccessKey::from_current(current)?;
        let user = current.user_name.as_str();
        let mut keys = self.keys(user).await?;
        match self
            .issuing_tag(user)
            .await?
            .and_then(|tag| recorded_before(&tag, ctx.run_id))
        {
            Some(before) => {
                // An earlier attempt of this run created a key whose secret
                // was never stored: it can never be used, so it goes.
                for key in keys.iter().filter(|k| !before.contains(&k.id)) {
                    if key.id != current.access_key_id {
                        self.remove_key(user, &key.id).await?;
                    }
                }
                keys.retain(|k| before.contains(&k.id) || k.id == current.access_key_id);
            }
            None => {
                let tag = Tag::builder()
                    .key(ISSUING)
                    .value(issuing_value(ctx.run_id, &keys))
                    .build()
                    .map_err(|e| PluginError::permanent(format!("tag: {e}")))?;
                self.iam()
                    .await
                    .tag_user()
                    .user_name(user)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(|e| error(&format!("tag {user}"), e))?;
            }
        }
        for key in keys.iter().filter(|k| k.id != current.access_key_id) {
            if key.active {
                return Err(PluginError::conflict(format!(
                    "IAM user {user} has another active access key ({}) that {} does not hold; \
                     IAM allows two keys and Tenure never deletes an active key it does not know",
                    key.id, ctx.address
                )));
            }
            // An inactive leftover (a retirement that did not finish).
            self.remove_key(user, &key.id).await?;
        }
        let out = self
            .iam()
            .await
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("create access key for {user}"), e))?;
        let created = out
            .access_key
            .ok_or_else(|| PluginError::permanent("create access key: no key returned"))?;
        tracing::debug!(user, key = created.access_key_id, "created an access key");
        Ok(AccessKey {
            user_name: user.to_owned(),
            access_key_id: created.access_key_id,
            secret_access_key: SecretValue::new(created.secret_access_key),
        }
        .to_value())
    }

    async fn apply(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        // The key is live since its creation; now that its secret is stored,
        // the creation is no longer "in progress".
        let pending = AccessKey::parse(pending)?;
        self.clear_issuing(&pending.user_name).await
    }

    async fn test(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        let key = AccessKey::parse(value)?;
        let deadline = Instant::now() + self.config.settle_timeout;
        let mut wait = Duration::from_millis(250);
        loop {
            match self.caller(&key).await? {
                Ok(arn) if arn.rsplit('/').next() == Some(key.user_name.as_str()) => {
                    return Ok(Proof::new(
                        "sts_get_caller_identity",
                        format!("key {} authenticates as {arn}", key.access_key_id),
                    ));
                }
                Ok(arn) => {
                    return Err(PluginError::permanent(format!(
                        "key {} authenticates as {arn}, not as user {}",
                        key.access_key_id, key.user_name
                    )));
                }
                Err(refusal) if Instant::now() >= deadline => {
                    return Err(PluginError::retryable(format!(
                        "key {} is still refused ({refusal}) after {:?}",
                        key.access_key_id, self.config.settle_timeout
                    )));
                }
                // IAM is eventually consistent: a new key may need seconds.
                Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(4));
                }
            }
        }
    }

    async fn rollback(
        &self,
        _ctx: TargetContext<'_>,
        _current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        let pending = AccessKey::parse(pending)?;
        self.remove_key(&pending.user_name, &pending.access_key_id)
            .await?;
        self.clear_issuing(&pending.user_name).await
    }

    async fn retire(
        &self,
        _ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let previous = AccessKey::parse(previous)?;
        let current = AccessKey::parse(current)?;
        if previous.access_key_id.is_empty() || previous.access_key_id == current.access_key_id {
            return Ok(());
        }
        self.remove_key(&previous.user_name, &previous.access_key_id)
            .await
    }

    async fn privileges(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let key = AccessKey::parse(current)?;
        self.privileges_of(&key.user_name).await.map(Some)
    }

    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let key = AccessKey::parse(current)?;
        let user = key.user_name.as_str();
        let iam = self.iam().await;
        let mut removed = Vec::new();
        for privilege in self.privileges_of(user).await? {
            if ctx.scopes.contains(&privilege) {
                continue;
            }
            let result = if let Some(name) = privilege.strip_prefix("inline:") {
                iam.delete_user_policy()
                    .user_name(user)
                    .policy_name(name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error(&format!("delete inline policy {name} of {user}"), e))
            } else if let Some(group) = privilege.strip_prefix("group:") {
                iam.remove_user_from_group()
                    .user_name(user)
                    .group_name(group)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error(&format!("remove {user} from group {group}"), e))
            } else {
                iam.detach_user_policy()
                    .user_name(user)
                    .policy_arn(&privilege)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error(&format!("detach {privilege} from {user}"), e))
            };
            match result {
                Ok(()) => removed.push(privilege),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let remaining = self.privileges_of(user).await?;
        Ok(NarrowReport { removed, remaining })
    }

    async fn revoke(
        &self,
        _ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        let key = AccessKey::parse(current)?;
        let keys = match self.keys(&key.user_name).await {
            Ok(keys) => keys,
            // The user is gone: so are its keys.
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for other in keys {
            self.remove_key(&key.user_name, &other.id).await?;
        }
        self.clear_issuing(&key.user_name).await
    }

    async fn verify_revoked(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        let key = AccessKey::parse(value)?;
        if key.access_key_id.is_empty() {
            return Ok(Proof::new(
                "sts_get_caller_identity",
                "the secret holds no key",
            ));
        }
        let deadline = Instant::now() + self.config.settle_timeout;
        loop {
            match self.caller(&key).await? {
                Err(refusal) => {
                    return Ok(Proof::new(
                        "sts_get_caller_identity",
                        format!("key {} refused: {refusal}", key.access_key_id),
                    ));
                }
                Ok(arn) if Instant::now() >= deadline => {
                    return Err(PluginError::retryable(format!(
                        "key {} still authenticates as {arn}",
                        key.access_key_id
                    )));
                }
                // A deleted key can take a moment to stop working.
                Ok(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }

    async fn try_login(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<LoginOutcome, PluginError> {
        let key = AccessKey::parse(value)?;
        if key.access_key_id.is_empty() {
            return Ok(LoginOutcome::Refused(Proof::new(
                "sts_get_caller_identity",
                "the secret holds no key",
            )));
        }
        Ok(match self.caller(&key).await? {
            Ok(arn) if arn.rsplit('/').next() == Some(key.user_name.as_str()) => {
                LoginOutcome::Accepted(Proof::new(
                    "sts_get_caller_identity",
                    format!("key {} authenticates as {arn}", key.access_key_id),
                ))
            }
            Ok(arn) => {
                return Err(PluginError::permanent(format!(
                    "key {} authenticates as {arn}, not as user {}",
                    key.access_key_id, key.user_name
                )));
            }
            Err(refusal) => LoginOutcome::Refused(Proof::new(
                "sts_get_caller_identity",
                format!("key {} refused: {refusal}", key.access_key_id),
            )),
        })
    }

    fn account(&self, value: &SecretValue) -> Result<Option<String>, PluginError> {
        Ok(Some(AccessKey::parse(value)?.user_name))
    }

    fn logins(&self, value: &SecretValue) -> Result<Vec<String>, PluginError> {
        Ok(vec![AccessKey::parse(value)?.user_name])
    }

    fn retired_logins(
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

    async fn login_states(
        &self,
        _ctx: TargetContext<'_>,
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
            let detail = match (key, active.as_slice()) {
                (Some(id), []) if keys.iter().any(|k| k.id == id) => format!("key {id} inactive"),
                (Some(id), []) => format!("key {id} absent"),
                (None, []) if keys.is_empty() => "no access keys".to_owned(),
                (None, []) => "no other active access key".to_owned(),
                (_, ids) => format!("active access keys: {}", ids.join(", ")),
            };
            states.push(LoginState {
                login: login.clone(),
                enabled: !active.is_empty(),
                detail,
            });
        }
        Ok(states)
    }

    async fn disable_logins(
        &self,
        _ctx: TargetContext<'_>,
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
            if key.is_none() && kept.is_none() {
                self.clear_issuing(user).await?;
            }
        }
        Ok(())
    }

    async fn list_logins(&self) -> Result<Vec<String>, PluginError> {
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
}
