//! The redis target against a real Redis (URL in TENURE_TEST_REDIS_URL, set
//! by scripts/services). With CI=true a missing server fails these tests.

use redis::AsyncCommands;
use tenure_plugin_api::{SecretAddress, SecretSource, SecretValue, Target, TargetContext};
use tenure_target_redis::{RedisConfig, RedisTarget};
use tenure_testkit::run_target_suite;

fn admin_url() -> Option<String> {
    tenure_testkit::service_url("TENURE_TEST_REDIS_URL")
}

fn unique(prefix: &str) -> String {
    tenure_testkit::unique_name(prefix)
}

fn credential(user: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{user}","password":"{password}"}}"#
    ))
}

fn target() -> RedisTarget {
    RedisTarget::new(
        "redis",
        RedisConfig {
            admin_url: SecretSource::Env("TENURE_TEST_REDIS_URL".into()),
            ca_file: None,
            password_length: 32,
            connect_timeout: std::time::Duration::from_secs(5),
        },
    )
}

async fn admin(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("admin")
}

/// An ACL user created for one test, `on` with the password
/// `initial-password`, and the admin connection that made it.
struct Bed {
    url: String,
    admin: redis::aio::MultiplexedConnection,
    user: String,
}

impl Bed {
    /// `None` when no Redis is configured (outside CI).
    async fn new(prefix: &str, rules: &[&str]) -> Option<Self> {
        let url = admin_url()?;
        let mut admin = admin(&url).await;
        let user = unique(prefix);
        let mut args = vec!["SETUSER", &user, "on", ">initial-password"];
        args.extend_from_slice(rules);
        acl(&mut admin, &args, "create user").await;
        Some(Self { url, admin, user })
    }
}

/// Runs `ACL <args>` as the admin; `what` names the step in a failure.
async fn acl(admin: &mut redis::aio::MultiplexedConnection, args: &[&str], what: &str) {
    let _: () = redis::cmd("ACL")
        .arg(args)
        .query_async(admin)
        .await
        .expect(what);
}

async fn user_connection(
    url: &str,
    user: &str,
    password: &str,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let url = url.replacen("redis://", &format!("redis://{user}:{password}@"), 1);
    redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await
}

#[tokio::test]
async fn acl_users_pass_the_conformance_suite() {
    let Some(Bed {
        url,
        mut admin,
        user,
    }) = Bed::new("t_redis", &["~app:*", "~other:*", "+@read", "+set", "+del"]).await
    else {
        return;
    };
    let target = target();
    let scopes = vec!["+@read".to_owned(), "~app:*".to_owned()];
    let address: SecretAddress = "local:cache/app".parse().expect("address");
    let report = run_target_suite(
        &target,
        &address,
        credential(&user, "initial-password"),
        &scopes,
    )
    .await
    .expect("conformance");
    let mut narrowed = report.narrowed.clone().expect("narrowed");
    narrowed.sort();
    assert_eq!(narrowed, vec!["+@read", "~app:*"]);
    assert!(
        report.revoked_proof.detail.starts_with("refused:"),
        "{}",
        report.revoked_proof.detail
    );
    // Checked independently: neither the old nor the rotated password authenticates.
    assert!(
        user_connection(&url, &user, "initial-password")
            .await
            .is_err()
    );
    acl(&mut admin, &["DELUSER", &user], "cleanup").await;
}

#[tokio::test]
async fn both_passwords_work_during_grace_and_revoke_kills_sessions() {
    let Some(Bed {
        url,
        mut admin,
        user,
    }) = Bed::new("t_redis", &["~app:*", "+@read"]).await
    else {
        return;
    };
    let target = target();
    let address: SecretAddress = "local:cache/app".parse().expect("address");
    let ctx = TargetContext {
        address: &address,
        run_id: "r",
        scopes: &[],
    };
    let initial = credential(&user, "initial-password");
    let pending = target.issue(ctx, Some(&initial)).await.expect("issue");
    target
        .apply(ctx, Some(&initial), &pending)
        .await
        .expect("apply");
    target
        .apply(ctx, Some(&initial), &pending)
        .await
        .expect("apply twice");
    let new_password = tenure_plugin_api::DbCredential::parse(&pending)
        .expect("cred")
        .password;
    let mut old_session = user_connection(&url, &user, "initial-password")
        .await
        .expect("old password during grace");
    let _: Option<String> = old_session
        .get("app:x")
        .await
        .expect("read with the old password");
    user_connection(&url, &user, new_password.expose())
        .await
        .expect("new password");
    // Passwords travel as hashes: the ACL holds only SHA-256 digests.
    let described: redis::Value = redis::cmd("ACL")
        .arg(&["GETUSER", &user])
        .query_async(&mut admin)
        .await
        .expect("getuser");
    assert!(!format!("{described:?}").contains(new_password.expose()));

    target
        .retire(ctx, &initial, &pending)
        .await
        .expect("retire");
    target
        .retire(ctx, &initial, &pending)
        .await
        .expect("retire twice");
    assert!(
        user_connection(&url, &user, "initial-password")
            .await
            .is_err()
    );
    target.revoke(ctx, &pending).await.expect("revoke");
    let after: redis::RedisResult<Option<String>> = old_session.get("app:x").await;
    assert!(after.is_err(), "a session survived the revocation");
    let proof = target.verify_revoked(ctx, &pending).await.expect("proof");
    assert!(proof.detail.starts_with("refused:"), "{}", proof.detail);
    acl(&mut admin, &["DELUSER", &user], "cleanup").await;
}

/// `ACL DRYRUN <user> <args>`: `None` when allowed, else the refusal.
async fn dryrun(
    admin: &mut redis::aio::MultiplexedConnection,
    user: &str,
    args: &[&str],
) -> Option<String> {
    let reply: redis::Value = redis::cmd("ACL")
        .arg("DRYRUN")
        .arg(user)
        .arg(args)
        .query_async(admin)
        .await
        .expect("dryrun");
    match reply {
        redis::Value::Okay => None,
        redis::Value::SimpleString(s) if s == "OK" => None,
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        other => Some(format!("{other:?}")),
    }
}

#[tokio::test]
async fn narrowing_keeps_deny_rules_and_removes_unapproved_selectors_and_patterns() {
    let Some(Bed {
        url,
        mut admin,
        user,
    }) = Bed::new(
        "t_redis_deny",
        &[
            "+@read",
            "-keys",
            "-@dangerous",
            "+set",
            "~app:*",
            "%R~cache:*",
            "&events:*",
            "&other:*",
            "(+del ~tmp:*)",
            "(+get ~approved:*)",
        ],
    )
    .await
    else {
        return;
    };
    let target = target();
    let address: SecretAddress = "local:cache/app".parse().expect("address");
    let scopes: Vec<String> = [
        "+@read",
        "~app:*",
        "%R~cache:*",
        "&events:*",
        "(+get ~approved:*)",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let ctx = TargetContext {
        address: &address,
        run_id: "run",
        scopes: &scopes,
    };
    let current = credential(&user, "initial-password");
    // Everything that grants is reported, selectors included; deny rules are not privileges.
    let held = target
        .privileges(ctx, &current)
        .await
        .expect("privileges")
        .expect("supported");
    for privilege in [
        "+set",
        "&other:*",
        "(+del ~tmp:*)",
        "(+get ~approved:*)",
        "+@read",
    ] {
        assert!(
            held.contains(&privilege.to_owned()),
            "{privilege} in {held:?}"
        );
    }
    let report = target.narrow(ctx, &current).await.expect("narrow");
    let mut removed = report.removed.clone();
    removed.sort();
    assert_eq!(removed, vec!["&other:*", "(+del ~tmp:*)", "+set"]);
    let mut after = target
        .privileges(ctx, &current)
        .await
        .expect("privileges")
        .expect("supported");
    after.sort();
    let mut approved = scopes.clone();
    approved.sort();
    assert_eq!(after, approved, "nothing approved is lost");
    // The server agrees: denied commands stay refused, approved ones work,
    // what was removed is refused.
    for (args, allowed) in [
        (&["keys", "app:*"][..], false),
        (&["flushall"][..], false),
        (&["config", "get", "x"][..], false),
        (&["get", "app:1"][..], true),
        (&["get", "cache:1"][..], true),
        (&["get", "approved:1"][..], true),
        (&["set", "app:1", "v"][..], false),
        (&["del", "tmp:1"][..], false),
    ] {
        let refusal = dryrun(&mut admin, &user, args).await;
        assert_eq!(refusal.is_none(), allowed, "{args:?}: {refusal:?}");
    }
    // The password still works.
    assert!(
        user_connection(&url, &user, "initial-password")
            .await
            .is_ok()
    );
    acl(&mut admin, &["DELUSER", &user], "cleanup").await;
}
