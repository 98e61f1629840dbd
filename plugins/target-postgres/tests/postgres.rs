//! The postgres target against a real PostgreSQL with scram-sha-256 password
//! authentication (started by scripts/services; URL in TENURE_TEST_PG_URL).
//! With CI=true a missing server fails these tests; otherwise they say they
//! were skipped.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};
use tenure_plugin_api::{
    DbCredential, SecretAddress, SecretSource, SecretValue, Target, TargetContext,
};
use tenure_target_postgres::{PostgresConfig, PostgresTarget, RevokeMode, Strategy};
use tenure_testkit::run_target_suite;

fn admin_url() -> Option<String> {
    tenure_testkit::service_url("TENURE_TEST_PG_URL")
}

fn unique(prefix: &str) -> String {
    tenure_testkit::unique_name(prefix)
}

async fn admin(url: &str) -> PgPool {
    PgPool::connect(url).await.expect("admin connection")
}

fn config(strategy: Strategy, revoke: RevokeMode) -> PostgresConfig {
    PostgresConfig {
        admin_url: SecretSource::Env("TENURE_TEST_PG_URL".into()),
        strategy,
        revoke,
        password_length: 32,
        connect_timeout: std::time::Duration::from_secs(10),
        max_admin_connections: None,
    }
}

fn credential(user: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{user}","password":"{password}"}}"#
    ))
}

fn address() -> SecretAddress {
    "local:db/test".parse().expect("address")
}

async fn try_login(url: &str, value: &SecretValue) -> Result<(), String> {
    let cred = DbCredential::parse(value).expect("credential");
    let options = PgConnectOptions::from_str(url)
        .expect("url")
        .username(&cred.username)
        .password(cred.password.expose());
    match PgConnection::connect_with(&options).await {
        Ok(connection) => {
            let _ = connection.close().await;
            Ok(())
        }
        Err(sqlx::Error::Database(e)) => Err(e.code().map(|c| c.into_owned()).unwrap_or_default()),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn single_strategy_passes_the_conformance_suite() {
    let Some(url) = admin_url() else { return };
    let pool = admin(&url).await;
    let role = unique("t_single");
    let table = format!("{role}_data");
    for statement in [
        format!("CREATE ROLE {role} LOGIN PASSWORD 'initial-password' CREATEDB"),
        format!("CREATE TABLE public.{table} (id int)"),
        format!("GRANT SELECT, INSERT, DELETE ON public.{table} TO {role}"),
        format!("GRANT CREATE ON SCHEMA public TO {role}"),
    ] {
        sqlx::raw_sql(&statement)
            .execute(&pool)
            .await
            .expect(&statement);
    }
    let target = PostgresTarget::new("pg", config(Strategy::Single, RevokeMode::Nologin));
    let initial = credential(&role, "initial-password");
    let scopes = vec![format!("SELECT ON public.{table}")];
    let report = run_target_suite(&target, &address(), initial.clone(), &scopes)
        .await
        .expect("conformance");
    assert_eq!(report.narrowed, Some(scopes.clone()));
    assert!(
        report
            .revoked_proof
            .detail
            .starts_with("refused with SQLSTATE 28000"),
        "{}",
        report.revoked_proof.detail
    );
    // Checked independently: the old password fails (28P01), the revoked role cannot log in (28000).
    assert_eq!(try_login(&url, &initial).await, Err("28P01".into()));
    assert_eq!(try_login(&url, &report.rotated).await, Err("28000".into()));
    // The server stores a SCRAM verifier; it was never sent the password.
    let stored: String = sqlx::query_scalar("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
        .bind(&role)
        .fetch_one(&pool)
        .await
        .expect("verifier");
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"));
}

#[tokio::test]
async fn dual_strategy_keeps_both_logins_working_until_retire() {
    let Some(url) = admin_url() else { return };
    let pool = admin(&url).await;
    let group = unique("t_dual");
    let table = format!("{group}_data");
    for statement in [
        format!("CREATE ROLE {group} NOLOGIN"),
        format!("CREATE ROLE {group}_a LOGIN PASSWORD 'initial-password' IN ROLE {group}"),
        format!("CREATE TABLE public.{table} (id int)"),
        format!("GRANT SELECT, UPDATE ON public.{table} TO {group}"),
    ] {
        sqlx::raw_sql(&statement)
            .execute(&pool)
            .await
            .expect(&statement);
    }
    let target = PostgresTarget::new("pg", config(Strategy::Dual, RevokeMode::Nologin));
    let initial = credential(&format!("{group}_a"), "initial-password");
    let ctx = TargetContext {
        address: &address(),
        run_id: "r1",
        scopes: &[],
    };
    let pending = target.issue(ctx, Some(&initial)).await.expect("issue");
    assert_eq!(
        DbCredential::parse(&pending).expect("cred").username,
        format!("{group}_b")
    );
    target
        .apply(ctx, Some(&initial), &pending)
        .await
        .expect("apply");
    // During the grace period both credentials log in.
    assert_eq!(try_login(&url, &initial).await, Ok(()));
    assert_eq!(try_login(&url, &pending).await, Ok(()));
    target
        .retire(ctx, &initial, &pending)
        .await
        .expect("retire");
    assert_eq!(try_login(&url, &initial).await, Err("28000".into()));

    let scopes = vec![format!("SELECT ON public.{table}")];
    let report = run_target_suite(&target, &address(), pending, &scopes)
        .await
        .expect("conformance");
    assert_eq!(report.narrowed, Some(scopes));
    for login in ["a", "b"] {
        let can: bool = sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
            .bind(format!("{group}_{login}"))
            .fetch_one(&pool)
            .await
            .expect("role");
        assert!(!can, "{group}_{login} can still log in after revoke");
    }
}

#[tokio::test]
async fn revoke_ends_open_sessions_and_drop_mode_removes_the_role() {
    let Some(url) = admin_url() else { return };
    let pool = admin(&url).await;
    let role = unique("t_drop");
    sqlx::raw_sql(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'initial-password'"
    ))
    .execute(&pool)
    .await
    .expect("role");
    let value = credential(&role, "initial-password");
    let cred = DbCredential::parse(&value).expect("cred");
    let options = PgConnectOptions::from_str(&url)
        .expect("url")
        .username(&cred.username)
        .password(cred.password.expose());
    let mut open = PgConnection::connect_with(&options).await.expect("session");
    let target = PostgresTarget::new("pg", config(Strategy::Single, RevokeMode::Drop));
    let ctx = TargetContext {
        address: &address(),
        run_id: "r",
        scopes: &[],
    };
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
    assert!(
        proof.detail.starts_with("refused with SQLSTATE 28P01"),
        "{}",
        proof.detail
    );
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_roles WHERE rolname = $1")
        .bind(&role)
        .fetch_optional(&pool)
        .await
        .expect("query");
    assert!(exists.is_none());
}

#[tokio::test]
async fn a_wrong_admin_password_is_unauthorized_and_never_echoed() {
    let Some(url) = admin_url() else { return };
    let options = PgConnectOptions::from_str(&url).expect("url");
    let wrong = format!(
        "postgres://postgres:wrong-admin-password@{}:{}/postgres",
        options.get_host(),
        options.get_port()
    );
    let dir = std::env::temp_dir().join(unique("tenure_pg_url"));
    std::fs::write(&dir, &wrong).expect("write");
    let mut cfg = config(Strategy::Single, RevokeMode::Nologin);
    cfg.admin_url = SecretSource::File(dir.clone());
    let target = PostgresTarget::new("pg", cfg);
    let ctx = TargetContext {
        address: &address(),
        run_id: "r",
        scopes: &[],
    };
    let err = target
        .privileges(ctx, &credential("nobody", "x"))
        .await
        .expect_err("refused");
    std::fs::remove_file(&dir).expect("cleanup");
    assert_eq!(
        err.kind(),
        tenure_plugin_api::ErrorKind::Unauthorized,
        "{err}"
    );
    assert!(!err.to_string().contains("wrong-admin-password"));
}

/// Runs `statements` as the admin.
async fn run_all(pool: &PgPool, statements: &[String]) {
    for statement in statements {
        sqlx::raw_sql(statement)
            .execute(pool)
            .await
            .expect(statement);
    }
}

#[tokio::test]
async fn narrowing_sees_every_kind_of_privilege_and_loses_nothing_approved() {
    let Some(url) = admin_url() else { return };
    let pool = admin(&url).await;
    let role = unique("t_kinds");
    let other = unique("t_kinds_owner");
    let group = unique("t_kinds_group");
    let schema = format!("{role}_s");
    let db: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&pool)
        .await
        .expect("database");
    run_all(
        &pool,
        &[
            format!("CREATE ROLE {role} LOGIN PASSWORD 'initial-password'"),
            format!("CREATE ROLE {other}"),
            format!("CREATE ROLE {group}"),
            format!("CREATE SCHEMA {schema} AUTHORIZATION {other}"),
            format!("CREATE TABLE {schema}.orders (id serial, status text, note text)"),
            format!("CREATE TABLE {schema}.audit (id int)"),
            format!("CREATE FUNCTION {schema}.refund(integer, text) RETURNS int LANGUAGE sql AS 'SELECT 1'"),
            format!("CREATE FUNCTION {schema}.approved_fn(integer) RETURNS int LANGUAGE sql AS 'SELECT 1'"),
            format!("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC"),
            // Approved.
            format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
            format!("GRANT SELECT (status) ON {schema}.orders TO {role}"),
            format!("GRANT USAGE ON SEQUENCE {schema}.orders_id_seq TO {role}"),
            format!("GRANT EXECUTE ON FUNCTION {schema}.approved_fn(integer) TO {role}"),
            format!("GRANT SELECT ON {schema}.audit TO {role} WITH GRANT OPTION"),
            format!("GRANT {group} TO {role}"),
            // Outside the scopes, one of each kind.
            format!("GRANT UPDATE (note) ON {schema}.orders TO {role}"),
            format!("GRANT UPDATE ON SEQUENCE {schema}.orders_id_seq TO {role}"),
            format!("GRANT EXECUTE ON FUNCTION {schema}.refund(integer, text) TO {role}"),
            format!("GRANT CONNECT, TEMPORARY ON DATABASE \"{db}\" TO {role}"),
            format!("GRANT INSERT ON {schema}.audit TO {role} WITH GRANT OPTION"),
            format!("GRANT USAGE ON SEQUENCE {schema}.orders_id_seq TO {role} WITH GRANT OPTION"),
            format!("ALTER TABLE {schema}.audit OWNER TO {other}"),
        ],
    )
    .await;
    let target = PostgresTarget::new("pg", config(Strategy::Single, RevokeMode::Nologin));
    let current = credential(&role, "initial-password");
    let approved: Vec<String> = [
        format!("USAGE ON SCHEMA {schema}"),
        format!("SELECT (status) ON {schema}.orders"),
        format!("USAGE ON SEQUENCE {schema}.orders_id_seq"),
        format!("EXECUTE ON FUNCTION {schema}.approved_fn(integer)"),
        format!("SELECT ON {schema}.audit WITH GRANT OPTION"),
        format!("MEMBER OF {group}"),
    ]
    .into_iter()
    .collect();
    let address = address();
    let ctx = TargetContext {
        address: &address,
        run_id: "run",
        scopes: &approved,
    };
    let held = target
        .privileges(ctx, &current)
        .await
        .expect("privileges")
        .expect("supported");
    let excess = [
        format!("UPDATE (note) ON {schema}.orders"),
        format!("UPDATE ON SEQUENCE {schema}.orders_id_seq"),
        format!("EXECUTE ON FUNCTION {schema}.refund(integer, text)"),
        format!("CONNECT ON DATABASE {db}"),
        format!("TEMPORARY ON DATABASE {db}"),
        format!("INSERT ON {schema}.audit WITH GRANT OPTION"),
        format!("USAGE ON SEQUENCE {schema}.orders_id_seq WITH GRANT OPTION"),
    ];
    for privilege in approved
        .iter()
        .filter(|p| !p.contains("USAGE ON SEQUENCE"))
        .chain(&excess)
    {
        assert!(held.contains(privilege), "{privilege} not in {held:?}");
    }
    let report = target.narrow(ctx, &current).await.expect("narrow");
    let mut removed = report.removed.clone();
    removed.sort();
    let mut expected = excess.to_vec();
    expected.sort();
    assert_eq!(removed, expected);
    let mut after = target
        .privileges(ctx, &current)
        .await
        .expect("privileges")
        .expect("supported");
    after.sort();
    let mut approved_sorted = approved.clone();
    approved_sorted.sort();
    assert_eq!(after, approved_sorted, "exactly the approved scopes remain");

    // Ownership is reported and never taken away: narrowing fails for a person.
    run_all(
        &pool,
        &[
            format!("CREATE TABLE {schema}.owned (id int)"),
            format!("ALTER TABLE {schema}.owned OWNER TO {role}"),
        ],
    )
    .await;
    let held = target
        .privileges(ctx, &current)
        .await
        .expect("privileges")
        .expect("supported");
    let owned = format!("OWNER OF TABLE {schema}.owned");
    assert!(held.contains(&owned), "{held:?}");
    let err = target
        .narrow(ctx, &current)
        .await
        .expect_err("ownership is escalated");
    assert!(err.to_string().contains(&owned), "{err}");
    let owner: String = sqlx::query_scalar(&format!(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = '{schema}' AND tablename = 'owned'"
    ))
    .fetch_one(&pool)
    .await
    .expect("owner");
    assert_eq!(owner, role, "the table still belongs to the role");
    run_all(
        &pool,
        &[
            format!("DROP SCHEMA {schema} CASCADE"),
            format!("REVOKE ALL ON DATABASE \"{db}\" FROM {role}"),
            format!("DROP ROLE {role}"),
            format!("DROP ROLE {other}"),
            format!("DROP ROLE {group}"),
        ],
    )
    .await;
}
