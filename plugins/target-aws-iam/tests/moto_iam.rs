//! The IAM access-key target through the real SDK against moto with request
//! authentication on (endpoint and admin key in TENURE_TEST_IAM_*, set by
//! scripts/services), so STS really refuses a deleted key.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::error::DisplayErrorContext;
use tenure_plugin_api::{ErrorKind, SecretAddress, SecretValue, Target, TargetContext};
use tenure_target_aws_iam::{AccessKey, IamConfig, IamTarget};
use tenure_testkit::{run_target_suite, service_url, unique_name};

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

#[tokio::test]
async fn narrowing_sees_the_console_password_groups_and_boundary_and_keeps_what_is_approved() {
    let Some(f) = fixture() else { return };
    let value = f.user("wide").await;
    let user = AccessKey::parse(&value).expect("key").user_name;
    let approved = f.policy("read", "Allow").await;
    f.attach(&user, &approved).await;
    f.set_console_password(&user).await;
    // A group the record does not approve, with a managed and an inline
    // policy, and one it approves with its policy.
    let extra_policy = f.policy("write", "Allow").await;
    let extra = f
        .group("ops", &[&extra_policy], &[("ops-inline", "Allow")])
        .await;
    f.join(&user, &extra).await;
    let team_policy = f.policy("team", "Allow").await;
    let team = f.group("team", &[&team_policy], &[]).await;
    f.join(&user, &team).await;
    let edge = f.policy("edge", "Allow").await;
    let boundary = f.try_boundary(&user, &edge).await;

    let address = address();
    let mut scopes = strings(&[
        &approved,
        &format!("group:{team}"),
        &format!("group:{team}/{team_policy}"),
    ]);
    let run = ctx(&address, &scopes);
    let mut held = strings(&[
        &approved,
        "console-login",
        &format!("group:{extra}"),
        &format!("group:{extra}/{extra_policy}"),
        &format!("group:{extra}/inline:ops-inline"),
        &format!("group:{team}"),
        &format!("group:{team}/{team_policy}"),
    ]);
    if let Some(arn) = &boundary {
        held.push(format!("boundary:{arn}"));
        held.sort();
    }
    assert_eq!(
        f.target.privileges(run, &value).await.expect("privileges"),
        Some(held)
    );

    let narrowed = f.target.narrow(run, &value).await;
    let removed = strings(&[
        "console-login",
        &format!("group:{extra}"),
        &format!("group:{extra}/{extra_policy}"),
        &format!("group:{extra}/inline:ops-inline"),
    ]);
    match &boundary {
        None => {
            let report = narrowed.expect("narrow");
            let mut got = report.removed.clone();
            got.sort();
            assert_eq!(got, removed);
            assert_eq!(report.remaining, scopes);
        }
        Some(arn) => {
            // The boundary is beyond the scopes, yet never removed: the
            // rest is narrowed and a person is asked.
            let err = narrowed.expect_err("an unapproved boundary is kept");
            assert_eq!(err.kind(), ErrorKind::Permanent);
            assert!(err.message().contains(&format!("boundary:{arn}")), "{err}");
            scopes.push(format!("boundary:{arn}"));
            scopes.sort();
        }
    }
    let run = ctx(&address, &scopes);
    assert_eq!(
        f.target.privileges(run, &value).await.expect("privileges"),
        Some(scopes.clone())
    );
    assert!(
        !f.has_console_password(&user).await,
        "console password kept"
    );
    assert_eq!(f.groups_of(&user).await, vec![team.clone()]);
    // The group left is shared: its policies are untouched.
    let kept_policies = f
        .iam
        .list_attached_group_policies()
        .group_name(&extra)
        .send()
        .await
        .expect("group policies");
    assert_eq!(kept_policies.attached_policies().len(), 1);
    let kept_inline = f
        .iam
        .list_group_policies()
        .group_name(&extra)
        .send()
        .await
        .expect("group inline policies");
    assert_eq!(kept_inline.policy_names(), ["ops-inline"]);

    // Narrowing again (a replay, or with the boundary approved) is a no-op.
    let report = f.target.narrow(run, &value).await.expect("narrow again");
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(report.remaining, scopes);
}

#[tokio::test]
async fn narrowing_never_widens_and_never_loses_an_approved_group() {
    let Some(f) = fixture() else { return };
    let value = f.user("deny").await;
    let user = AccessKey::parse(&value).expect("key").user_name;
    // Beyond the scopes, but removing it would widen: a policy that denies,
    // and a group whose inline policy denies.
    let guard = f.policy("guard", "Deny").await;
    f.attach(&user, &guard).await;
    let fenced = f.group("fenced", &[], &[("fence", "Deny")]).await;
    f.join(&user, &fenced).await;
    // An approved group with a policy the record does not list.
    let unlisted = f.policy("unlisted", "Allow").await;
    let team = f.group("team", &[&unlisted], &[]).await;
    f.join(&user, &team).await;
    // Plain excess.
    f.iam
        .put_user_policy()
        .user_name(&user)
        .policy_name("extra")
        .policy_document(document("Allow"))
        .send()
        .await
        .expect("inline");

    let address = address();
    let scopes = strings(&[&format!("group:{team}")]);
    let run = ctx(&address, &scopes);
    let err = f
        .target
        .narrow(run, &value)
        .await
        .expect_err("what cannot be removed is for a person");
    assert_eq!(err.kind(), ErrorKind::Permanent);
    for kept in [
        guard.clone(),
        format!("group:{fenced}/inline:fence"),
        format!("group:{team}/{unlisted}"),
    ] {
        assert!(err.message().contains(&kept), "{kept} not named: {err}");
    }
    assert!(err.message().contains("removed [inline:extra]"), "{err}");
    let held = f
        .target
        .privileges(run, &value)
        .await
        .expect("privileges")
        .expect("reported");
    assert_eq!(
        held,
        strings(&[
            &guard,
            &format!("group:{fenced}"),
            &format!("group:{fenced}/inline:fence"),
            &format!("group:{team}"),
            &format!("group:{team}/{unlisted}"),
        ])
    );
}

#[tokio::test]
async fn revoke_deletes_the_console_password_too() {
    let Some(f) = fixture() else { return };
    let value = f.user("revoke").await;
    let user = AccessKey::parse(&value).expect("key").user_name;
    f.set_console_password(&user).await;
    let address = address();
    let run = ctx(&address, &[]);
    let logins = f.target.logins(&value).expect("logins");
    assert_eq!(logins, vec![user.clone()]);

    let states = f
        .target
        .login_states(run, &logins, None)
        .await
        .expect("states");
    assert!(states[0].enabled);
    assert!(states[0].detail.contains("console password"), "{states:?}");

    f.target.revoke(run, &value).await.expect("revoke");
    assert!(f.key_ids(&user).await.is_empty(), "revoke left keys");
    assert!(
        !f.has_console_password(&user).await,
        "revoke left the console password"
    );
    let proof = f
        .target
        .verify_revoked(run, &value)
        .await
        .expect("verify revoked");
    assert!(proof.detail.contains("InvalidClientTokenId"), "{proof:?}");
    assert!(proof.detail.contains("no console password"), "{proof:?}");
    let states = f
        .target
        .login_states(run, &logins, None)
        .await
        .expect("states");
    assert!(!states[0].enabled, "{states:?}");
    // Revoking again is a no-op.
    f.target.revoke(run, &value).await.expect("revoke again");

    // A console password set again by hand is drift: the revocation is not
    // proven, the login is enabled, and disabling it deletes the password.
    f.set_console_password(&user).await;
    let err = f
        .target
        .verify_revoked(run, &value)
        .await
        .expect_err("console password back");
    assert!(err.message().contains("console password"), "{err}");
    let states = f
        .target
        .login_states(run, &logins, None)
        .await
        .expect("states");
    assert!(states[0].enabled, "{states:?}");
    f.target
        .disable_logins(run, &logins, None)
        .await
        .expect("disable");
    assert!(!f.has_console_password(&user).await);
    let states = f
        .target
        .login_states(run, &logins, None)
        .await
        .expect("states");
    assert!(!states[0].enabled, "{states:?}");
}
