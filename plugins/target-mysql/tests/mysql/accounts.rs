//! Accounts through the target: the conformance suite, revocation that
//! kills sessions (and drops the account in drop mode), and an account name
//! with a quote and a backslash quoted safely.

use sqlx::mysql::MySqlPool;
use sqlx::{Connection, MySqlConnection};
use tenure_plugin_api::{SecretAddress, SecretValue, Target, TargetContext};
use tenure_target_mysql::RevokeMode;
use tenure_testkit::run_target_suite;

use super::{admin_url, credential, login, target, unique, user_options};

#[tokio::test]
async fn accounts_pass_the_conformance_suite() {
    let Some(url) = admin_url() else { return };
    let pool = MySqlPool::connect(&url).await.expect("admin");
    let user = unique("t_my");
    let db = unique("t_db");
    for statement in [
        format!("CREATE DATABASE {db}"),
        format!("CREATE TABLE {db}.orders (id int)"),
        format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'initial-password'"),
        format!("GRANT SELECT, INSERT, DELETE ON {db}.orders TO '{user}'@'%'"),
        format!("GRANT CREATE ON {db}.* TO '{user}'@'%'"),
        format!("GRANT PROCESS ON *.* TO '{user}'@'%'"),
    ] {
        sqlx::raw_sql(&statement)
            .execute(&pool)
            .await
            .expect(&statement);
    }
    let target = target(RevokeMode::Lock);
    let scopes = vec![format!("SELECT ON {db}.orders")];
    let address: SecretAddress = "local:db/shop".parse().expect("address");
    let report = run_target_suite(
        &target,
        &address,
        credential(&user, "initial-password"),
        &scopes,
    )
    .await
    .expect("conformance");
    assert_eq!(report.narrowed, Some(scopes));
    assert!(
        report
            .revoked_proof
            .detail
            .starts_with("refused with error 4151"),
        "{}",
        report.revoked_proof.detail
    );
    let old = login(&url, &user, "initial-password")
        .await
        .expect_err("old password");
    assert!(old.contains("1045") || old.contains("4151"), "{old}");
    for statement in [
        format!("DROP USER '{user}'@'%'"),
        format!("DROP DATABASE {db}"),
    ] {
        sqlx::raw_sql(&statement)
            .execute(&pool)
            .await
            .expect(&statement);
    }
}

#[tokio::test]
async fn revoke_kills_sessions_and_drop_mode_removes_the_account() {
    let Some(url) = admin_url() else { return };
    let pool = MySqlPool::connect(&url).await.expect("admin");
    let user = unique("t_my");
    sqlx::raw_sql(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'initial-password'"
    ))
    .execute(&pool)
    .await
    .expect("user");
    let options = user_options(&url, &user, "initial-password");
    let mut open = MySqlConnection::connect_with(&options)
        .await
        .expect("session");
    let target = target(RevokeMode::Drop);
    let address: SecretAddress = "local:db/shop".parse().expect("address");
    let ctx = TargetContext {
        address: &address,
        run_id: "r",
        scopes: &[],
    };
    let value = credential(&user, "initial-password");
    target.revoke(ctx, &value).await.expect("revoke");
    target
        .revoke(ctx, &value)
        .await
        .expect("revoke again: already gone is success");
    assert!(
        sqlx::query("SELECT 1").execute(&mut open).await.is_err(),
        "the open session survived"
    );
    let proof = target.verify_revoked(ctx, &value).await.expect("proof");
    // MariaDB answers a login for an account that no longer exists with 1045
    // or 1698 (it varies the fake authentication it runs for unknown users).
    assert!(
        proof.detail.starts_with("refused with error 1045")
            || proof.detail.starts_with("refused with error 1698"),
        "{}",
        proof.detail
    );
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM mysql.user WHERE User = ?")
        .bind(&user)
        .fetch_optional(&pool)
        .await
        .expect("query");
    assert!(exists.is_none());
}

/// An account whose name holds a quote and a backslash goes through a whole
/// rotation and revocation: the admin session runs with
/// NO_BACKSLASH_ESCAPES and quotes are doubled, so the name means the same
/// whatever the server's own sql_mode, and nothing can be injected.
#[tokio::test]
async fn an_account_name_with_a_quote_and_a_backslash_is_quoted_safely() {
    let Some(url) = admin_url() else { return };
    let mut admin = MySqlConnection::connect(&url).await.expect("admin");
    sqlx::raw_sql("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'NO_BACKSLASH_ESCAPES')")
        .execute(&mut admin)
        .await
        .expect("sql_mode");
    let user = format!("{}'\\x", unique("t_q"));
    let quoted = user.replace('\'', "''");
    sqlx::raw_sql(&format!(
        "CREATE USER '{quoted}'@'%' IDENTIFIED BY 'initial-password'"
    ))
    .execute(&mut admin)
    .await
    .expect("user");
    let json = serde_json::json!({ "username": user, "password": "initial-password", "host": "127.0.0.1" });
    let initial = SecretValue::new(json.to_string());
    let report = run_target_suite(
        &target(RevokeMode::Lock),
        &"local:db/quoted".parse().expect("address"),
        initial,
        &[],
    )
    .await
    .expect("conformance");
    assert!(
        report
            .revoked_proof
            .detail
            .starts_with("refused with error"),
        "{}",
        report.revoked_proof.detail
    );
    sqlx::raw_sql(&format!("DROP USER '{quoted}'@'%'"))
        .execute(&mut admin)
        .await
        .expect("drop");
}
