//! Narrowing sees the console password, groups and boundary, keeps what is
//! approved, never widens and never loses an approved group.

use tenure_plugin_api::{ErrorKind, Target};
use tenure_target_aws_iam::AccessKey;

use super::{address, ctx, document, fixture, strings};

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
