//! The IAM access-key target through the real SDK against moto with request
//! authentication on (endpoint and admin key in TENURE_TEST_IAM_*, set by
//! scripts/services), so STS really refuses a deleted key. This file holds
//! the fixture the modules share; one module per behaviour.

#[path = "moto_iam/keys.rs"]
mod keys;
#[path = "moto_iam/narrowing.rs"]
mod narrowing;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::error::DisplayErrorContext;
use tenure_plugin_api::{SecretAddress, SecretValue, TargetContext};
use tenure_target_aws_iam::{AccessKey, IamConfig, IamTarget};
use tenure_testkit::{service_url, unique_name};

struct Fixture {
    iam: aws_sdk_iam::Client,
    target: IamTarget,
}

fn fixture() -> Option<Fixture> {
    let endpoint = service_url("TENURE_TEST_IAM_ENDPOINT")?;
    let key = std::env::var("TENURE_TEST_IAM_ACCESS_KEY_ID").expect("admin key id");
    let secret = std::env::var("TENURE_TEST_IAM_SECRET_ACCESS_KEY").expect("admin secret");
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            key, secret, None, None, "tests",
        )))
        .build();
    let mut config = IamConfig::new();
    config.settle_timeout = Duration::from_secs(2);
    Some(Fixture {
        iam: aws_sdk_iam::Client::new(&sdk),
        target: IamTarget::with_sdk_config("iam", config, sdk),
    })
}

impl Fixture {
    /// A new IAM user with one access key; the key as a secret value.
    async fn user(&self, prefix: &str) -> SecretValue {
        let user = unique_name(prefix);
        self.iam
            .create_user()
            .user_name(&user)
            .send()
            .await
            .expect("create user");
        let key = self
            .iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .expect("create key")
            .access_key
            .expect("key");
        AccessKey {
            user_name: user,
            access_key_id: key.access_key_id,
            secret_access_key: SecretValue::new(key.secret_access_key),
        }
        .to_value()
    }

    /// A new managed policy allowing (or denying) `s3:GetObject`; its ARN.
    async fn policy(&self, prefix: &str, effect: &str) -> String {
        self.iam
            .create_policy()
            .policy_name(unique_name(prefix))
            .policy_document(document(effect))
            .send()
            .await
            .expect("policy")
            .policy
            .and_then(|p| p.arn)
            .expect("arn")
    }

    /// A new group with `managed` attached and `inline` (name, effect) put.
    async fn group(&self, prefix: &str, managed: &[&str], inline: &[(&str, &str)]) -> String {
        let group = unique_name(prefix);
        self.iam
            .create_group()
            .group_name(&group)
            .send()
            .await
            .expect("group");
        for arn in managed {
            self.iam
                .attach_group_policy()
                .group_name(&group)
                .policy_arn(*arn)
                .send()
                .await
                .expect("attach to group");
        }
        for (name, effect) in inline {
            self.iam
                .put_group_policy()
                .group_name(&group)
                .policy_name(*name)
                .policy_document(document(effect))
                .send()
                .await
                .expect("group inline policy");
        }
        group
    }

    async fn join(&self, user: &str, group: &str) {
        self.iam
            .add_user_to_group()
            .group_name(group)
            .user_name(user)
            .send()
            .await
            .expect("join");
    }

    async fn attach(&self, user: &str, arn: &str) {
        self.iam
            .attach_user_policy()
            .user_name(user)
            .policy_arn(arn)
            .send()
            .await
            .expect("attach");
    }

    async fn set_console_password(&self, user: &str) {
        self.iam
            .create_login_profile()
            .user_name(user)
            .password(format!("Aa1!{}", unique_name("pw")))
            .send()
            .await
            .expect("login profile");
    }

    async fn has_console_password(&self, user: &str) -> bool {
        match self.iam.get_login_profile().user_name(user).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_no_such_entity_exception()) =>
            {
                false
            }
            Err(e) => panic!("get login profile: {e:?}"),
        }
    }

    async fn groups_of(&self, user: &str) -> Vec<String> {
        self.iam
            .list_groups_for_user()
            .user_name(user)
            .send()
            .await
            .expect("groups")
            .groups()
            .iter()
            .map(|g| g.group_name().to_owned())
            .collect()
    }

    /// Puts a permissions boundary on `user`, where the server can: moto
    /// (5.2) has no PutUserPermissionsBoundary (HTTP 500), ignores
    /// `PermissionsBoundary` on CreateUser and never returns one from
    /// GetUser; the boundary rules are unit-tested in src/holdings.rs.
    async fn try_boundary(&self, user: &str, arn: &str) -> Option<String> {
        let put = self
            .iam
            .put_user_permissions_boundary()
            .user_name(user)
            .permissions_boundary(arn)
            .send()
            .await;
        let got = self
            .iam
            .get_user()
            .user_name(user)
            .send()
            .await
            .expect("get user")
            .user
            .and_then(|u| u.permissions_boundary)
            .and_then(|b| b.permissions_boundary_arn);
        match (put, got) {
            (Ok(_), Some(got)) => {
                assert_eq!(got, arn);
                Some(got)
            }
            (put, _) => {
                eprintln!(
                    "note: this server keeps no user permissions boundary ({:?}); \
                     the boundary is checked by the unit tests only",
                    put.err().map(|e| DisplayErrorContext(e).to_string())
                );
                None
            }
        }
    }

    async fn key_ids(&self, user: &str) -> Vec<String> {
        self.iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .expect("list keys")
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.access_key_id().map(str::to_owned))
            .collect()
    }
}

fn document(effect: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"s3:GetObject","Resource":"*"}}]}}"#
    )
}

fn strings(list: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    all.sort();
    all
}

fn ctx<'a>(address: &'a SecretAddress, scopes: &'a [String]) -> TargetContext<'a> {
    TargetContext {
        address,
        run_id: "5b0b4a5e-2f5e-4c1e-9d4b-6f0b1b6d1a7e",
        scopes,
    }
}

fn address() -> SecretAddress {
    "aws:iam/app".parse().expect("address")
}
