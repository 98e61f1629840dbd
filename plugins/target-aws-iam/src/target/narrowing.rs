//! Privileges: reading everything the user holds (see [`crate::holdings`])
//! and narrowing it to the approved scopes, never removing a policy that
//! denies something.

use aws_sdk_iam::Client as Iam;
use tenure_plugin_api::{ErrorKind, NarrowReport, PluginError, SecretValue, TargetContext};

use super::IamTarget;
use crate::error::{code, error};
use crate::holdings::{GroupHoldings, Holdings, Kept, Removal, denies};
use crate::key::AccessKey;

impl IamTarget {
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

    pub(super) async fn privileges_of(&self, user: &str) -> Result<Vec<String>, PluginError> {
        Ok(self.holdings(user).await?.privileges())
    }

    /// [`Target::narrow`](tenure_plugin_api::Target::narrow).
    pub(super) async fn narrow_user(
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
