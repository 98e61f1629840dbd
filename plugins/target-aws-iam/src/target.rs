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
use crate::error::{code, error, gone_is_done, refusal};
use crate::holdings::{GroupHoldings, Holdings, Kept, Removal, denies};
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
        let result = self
            .iam()
            .await
            .untag_user()
            .user_name(user)
            .tag_keys(ISSUING)
            .send()
            .await;
        gone_is_done(result, || format!("untag {user}"))
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
        let result = iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await;
        gone_is_done(result, || format!("delete key {id} of {user}"))
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

    /// Everything `user` holds (see [`crate::holdings`]).
    async fn holdings(&self, user: &str) -> Result<Holdings, PluginError> {
        let iam = self.iam().await;
        let managed = iam
            .list_attached_user_policies()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error(&format!("list policies of {user}"), e))?
            .into_iter()
            .filter_map(|p| p.policy_arn)
            .collect();
        let inline = iam
            .list_user_policies()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error(&format!("list inline policies of {user}"), e))?;
        let names: Vec<String> = iam
            .list_groups_for_user()
            .user_name(user)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error(&format!("list groups of {user}"), e))?
            .into_iter()
            .map(|g| g.group_name)
            .collect();
        let mut groups = Vec::with_capacity(names.len());
        for name in names {
            groups.push(self.group(&iam, name).await?);
        }
        let boundary = iam
            .get_user()
            .user_name(user)
            .send()
            .await
            .map_err(|e| error(&format!("get user {user}"), e))?
            .user
            .and_then(|u| u.permissions_boundary)
            .and_then(|b| b.permissions_boundary_arn);
        let console = self.has_console_login(user).await?;
        Ok(Holdings {
            managed,
            inline,
            groups,
            boundary,
            console,
        })
    }

    /// A group and the policies it brings its members.
    async fn group(&self, iam: &Iam, name: String) -> Result<GroupHoldings, PluginError> {
        let managed = iam
            .list_attached_group_policies()
            .group_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error(&format!("list policies of group {name}"), e))?
            .into_iter()
            .filter_map(|p| p.policy_arn)
            .collect();
        let inline = iam
            .list_group_policies()
            .group_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error(&format!("list inline policies of group {name}"), e))?;
        Ok(GroupHoldings {
            name,
            managed,
            inline,
        })
    }

    async fn privileges_of(&self, user: &str) -> Result<Vec<String>, PluginError> {
        Ok(self.holdings(user).await?.privileges())
    }

    /// Whether `user` has a console password. A user that does not exist
    /// has none.
    async fn has_console_login(&self, user: &str) -> Result<bool, PluginError> {
        match self
            .iam()
            .await
            .get_login_profile()
            .user_name(user)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("NoSuchEntity") => Ok(false),
            Err(e) => Err(error(&format!("get login profile of {user}"), e)),
        }
    }

    /// Deletes the console password of `user`. Already gone is success.
    async fn delete_console_login(&self, user: &str) -> Result<(), PluginError> {
        let result = self
            .iam()
            .await
            .delete_login_profile()
            .user_name(user)
            .send()
            .await;
        gone_is_done(result, || format!("delete login profile of {user}"))
    }

    /// The default version's document of a managed policy; `None` when the
    /// policy is gone.
    async fn managed_document(&self, iam: &Iam, arn: &str) -> Result<Option<String>, PluginError> {
        let policy = match iam.get_policy().policy_arn(arn).send().await {
            Ok(out) => out.policy,
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok(None),
            Err(e) => return Err(error(&format!("get policy {arn}"), e)),
        };
        let Some(version) = policy.and_then(|p| p.default_version_id) else {
            return Err(PluginError::permanent(format!(
                "get policy {arn}: no default version"
            )));
        };
        match iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
        {
            Ok(out) => Ok(out.policy_version.and_then(|v| v.document)),
            Err(e) if code(&e) == Some("NoSuchEntity") => Ok(None),
            Err(e) => Err(error(&format!("get version {version} of policy {arn}"), e)),
        }
    }

    /// The policies among those `removal` takes away that deny something
    /// (removing them would widen access), by name.
    async fn denying(
        &self,
        iam: &Iam,
        user: &str,
        removal: &Removal,
    ) -> Result<Vec<String>, PluginError> {
        let mut found = Vec::new();
        match removal {
            Removal::DeleteLoginProfile => {}
            Removal::Detach(arn) => {
                if self
                    .managed_document(iam, arn)
                    .await?
                    .is_some_and(|d| denies(&d))
                {
                    found.push(arn.clone());
                }
            }
            Removal::DeleteInline(name) => match iam
                .get_user_policy()
                .user_name(user)
                .policy_name(name)
                .send()
                .await
            {
                Ok(out) if denies(out.policy_document()) => found.push(format!("inline:{name}")),
                Ok(_) => {}
                Err(e) if code(&e) == Some("NoSuchEntity") => {}
                Err(e) => return Err(error(&format!("get inline policy {name} of {user}"), e)),
            },
            Removal::LeaveGroup(group) => {
                for arn in &group.managed {
                    if self
                        .managed_document(iam, arn)
                        .await?
                        .is_some_and(|d| denies(&d))
                    {
                        found.push(format!("group:{}/{arn}", group.name));
                    }
                }
                for name in &group.inline {
                    match iam
                        .get_group_policy()
                        .group_name(&group.name)
                        .policy_name(name)
                        .send()
                        .await
                    {
                        Ok(out) if denies(out.policy_document()) => {
                            found.push(format!("group:{}/inline:{name}", group.name));
                        }
                        Ok(_) => {}
                        Err(e) if code(&e) == Some("NoSuchEntity") => {}
                        Err(e) => {
                            return Err(error(
                                &format!("get inline policy {name} of group {}", group.name),
                                e,
                            ));
                        }
                    }
                }
            }
        }
        Ok(found)
    }

    /// Carries out one removal: `false` when it was already gone.
    async fn remove(&self, iam: &Iam, user: &str, removal: &Removal) -> Result<bool, PluginError> {
        let result = match removal {
            Removal::Detach(arn) => iam
                .detach_user_policy()
                .user_name(user)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&format!("detach {arn} from {user}"), e)),
            Removal::DeleteInline(name) => iam
                .delete_user_policy()
                .user_name(user)
                .policy_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&format!("delete inline policy {name} of {user}"), e)),
            Removal::DeleteLoginProfile => iam
                .delete_login_profile()
                .user_name(user)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&format!("delete login profile of {user}"), e)),
            Removal::LeaveGroup(group) => iam
                .remove_user_from_group()
                .user_name(user)
                .group_name(&group.name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&format!("remove {user} from group {}", group.name), e)),
        };
        match result {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
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

    /// Why STS refuses `key`, waiting while a deleted key still works; an
    /// error when it still authenticates after the settle timeout.
    async fn key_refused(&self, key: &AccessKey) -> Result<String, PluginError> {
        let deadline = Instant::now() + self.config.settle_timeout;
        loop {
            match self.caller(key).await? {
                Err(refusal) => {
                    return Ok(format!("key {} refused: {refusal}", key.access_key_id));
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
        <crate::Plugin as tenure_plugin_api::TargetPlugin>::capabilities(&self.config)
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
        let plan = self.holdings(user).await?.plan(ctx.scopes);
        let mut kept = plan.kept;
        let mut removed = Vec::new();
        for step in plan.steps {
            let denying = self.denying(&iam, user, &step.removal).await?;
            if !denying.is_empty() {
                kept.push(Kept {
                    privileges: step.privileges,
                    reason: format!(
                        "{} denies something: removing it would widen access",
                        denying.join(", ")
                    ),
                });
                continue;
            }
            if self.remove(&iam, user, &step.removal).await? {
                removed.extend(step.privileges);
            }
        }
        let remaining = self.privileges_of(user).await?;
        if !kept.is_empty() {
            let kept: Vec<String> = kept
                .iter()
                .map(|k| format!("{} ({})", k.privileges.join(", "), k.reason))
                .collect();
            return Err(PluginError::permanent(format!(
                "IAM user {user} keeps privileges beyond the approved scopes that Tenure does \
                 not remove: {}; removed [{}]; approve them in the record or change IAM by hand",
                kept.join("; "),
                removed.join(", ")
            )));
        }
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
        self.delete_console_login(&key.user_name).await?;
        self.clear_issuing(&key.user_name).await
    }

    async fn verify_revoked(
        &self,
        _ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        let key = AccessKey::parse(value)?;
        let refused = if key.access_key_id.is_empty() {
            "the secret holds no key".to_owned()
        } else {
            self.key_refused(&key).await?
        };
        // The user's console password is a way in too: revoke deletes it.
        if self.has_console_login(&key.user_name).await? {
            return Err(PluginError::retryable(format!(
                "IAM user {} still has a console password (login profile)",
                key.user_name
            )));
        }
        Ok(Proof::new(
            "sts_get_caller_identity",
            format!("{refused}; no console password (login profile)"),
        ))
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
