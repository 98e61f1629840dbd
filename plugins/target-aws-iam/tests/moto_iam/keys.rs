//! Access keys: the conformance suite, a key lost by a crashed attempt is
//! deleted (never more than two), and revoke deletes the console password
//! too.

use tenure_plugin_api::{ErrorKind, Target, TargetContext};
use tenure_target_aws_iam::AccessKey;
use tenure_testkit::{run_target_suite, unique_name};

use super::{address, ctx, fixture};

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
