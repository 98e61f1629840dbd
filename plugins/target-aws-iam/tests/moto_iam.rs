//! The IAM access-key target through the real SDK against moto with request
//! authentication on (endpoint and admin key in TENURE_TEST_IAM_*, set by
//! scripts/services), so STS really refuses a deleted key.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use tenure_plugin_api::conformance::{run_target_suite, service_url, unique_name};
use tenure_plugin_api::{ErrorKind, SecretAddress, SecretValue, Target, TargetContext};
use tenure_target_aws_iam::{AccessKey, IamConfig, IamTarget};

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

fn address() -> SecretAddress {
    "aws:iam/app".parse().expect("address")
}

#[tokio::test]
async fn iam_keys_pass_the_target_conformance_suite() {
    let Some(f) = fixture() else { return };
    let initial = f.user("conf").await;
    let user = AccessKey::parse(&initial).expect("key").user_name;
    // Privileges: one approved managed policy, plus an inline policy and a
    // group membership that the record does not approve.
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let policy = f
        .iam
        .create_policy()
        .policy_name(unique_name("read"))
        .policy_document(document)
        .send()
        .await
        .expect("policy")
        .policy
        .and_then(|p| p.arn)
        .expect("arn");
    f.iam
        .attach_user_policy()
        .user_name(&user)
        .policy_arn(&policy)
        .send()
        .await
        .expect("attach");
    f.iam
        .put_user_policy()
        .user_name(&user)
        .policy_name("extra")
        .policy_document(document)
        .send()
        .await
        .expect("inline");
    let group = unique_name("admins");
    f.iam
        .create_group()
        .group_name(&group)
        .send()
        .await
        .expect("group");
    f.iam
        .add_user_to_group()
        .group_name(&group)
        .user_name(&user)
        .send()
        .await
        .expect("join");

    let scopes = vec![policy.clone()];
    let report = run_target_suite(&f.target, &address(), initial.clone(), &scopes)
        .await
        .expect("conformance");
    assert_eq!(report.narrowed, Some(vec![policy]));
    assert!(
        report.revoked_proof.detail.contains("InvalidClientTokenId"),
        "{:?}",
        report.revoked_proof
    );
    assert!(f.key_ids(&user).await.is_empty(), "revoke left keys");
}

#[tokio::test]
async fn a_key_lost_by_a_crashed_attempt_is_deleted_and_never_more_than_two() {
    let Some(f) = fixture() else { return };
    let initial = f.user("crash").await;
    let current = AccessKey::parse(&initial).expect("key");
    let ctx = TargetContext {
        address: &address(),
        run_id: "0f8fad5b-d9cb-469f-a165-70867728950e",
        scopes: &[],
    };
    // The first attempt creates a key, then the process dies before the
    // secret is stored: that key's secret is lost for good.
    let lost = f.target.issue(ctx, Some(&initial)).await.expect("issue");
    let lost = AccessKey::parse(&lost).expect("lost");
    // The resumed run issues again: the lost key is deleted first.
    let pending = f.target.issue(ctx, Some(&initial)).await.expect("reissue");
    let pending = AccessKey::parse(&pending).expect("pending");
    let mut keys = f.key_ids(&current.user_name).await;
    keys.sort();
    let mut expected = vec![current.access_key_id.clone(), pending.access_key_id.clone()];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(!keys.contains(&lost.access_key_id));

    // Another rotation while a foreign active key exists is a conflict.
    f.target
        .apply(ctx, Some(&initial), &pending.to_value())
        .await
        .expect("apply");
    let other = TargetContext {
        run_id: "another-run",
        ..ctx
    };
    let err = f
        .target
        .issue(other, Some(&initial))
        .await
        .expect_err("two keys already");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(f.key_ids(&current.user_name).await.len(), 2);
}
