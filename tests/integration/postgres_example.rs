//! `config/examples/postgres.toml` end to end against a real PostgreSQL with
//! password authentication: `run --once` narrows, `rotate` changes the
//! password (old refused, new accepted), `revoke` leaves no working login.

use std::str::FromStr;

use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool};

use crate::common::example::Example;
use crate::common::sql::{pg_admin_url, run_sql};
use crate::common::{stderr, stdout, traced, with_stdin};

async fn login(url: &str, password: &str) -> Result<(), String> {
    let options = PgConnectOptions::from_str(url)
        .expect("url")
        .username("tenure_example")
        .password(password);
    crate::common::sql::login::<PgConnection>(&options).await
}

#[tokio::test]
async fn the_postgres_example_narrows_rotates_and_revokes() {
    let Some(url) = pg_admin_url() else { return };
    let pool = PgPool::connect(&url).await.expect("admin");
    for statement in [
        "DROP TABLE IF EXISTS public.tenure_example_data",
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenure_example') THEN DROP OWNED BY tenure_example; DROP ROLE tenure_example; END IF; END $$",
        "CREATE ROLE tenure_example LOGIN PASSWORD 'change-me'",
        "CREATE TABLE public.tenure_example_data (id int)",
        "GRANT SELECT, INSERT, DELETE ON public.tenure_example_data TO tenure_example",
    ] {
        run_sql(&pool, statement).await;
    }

    let example = Example::new("postgres", |text, _| text).env("TENURE_PG_ADMIN_URL", &url);

    let options = PgConnectOptions::from_str(&url).expect("url");
    let secret = format!(
        r#"{{"username":"tenure_example","password":"change-me","host":"{}","port":{},"dbname":"postgres"}}"#,
        options.get_host(),
        options.get_port()
    );
    let put = with_stdin(
        example.command(&[
            "local",
            "put",
            "db/tenure_example",
            "--owner",
            "dba@example.com",
        ]),
        &secret,
    );
    assert!(put.status.success(), "{}", stderr(&put));

    let run = example.ok(&["run", "--once"]);
    assert!(
        stderr(&run).contains("local:db/tenure_example must be narrowed: scope_excess."),
        "{}",
        stderr(&run)
    );
    let privileges: Vec<String> = sqlx::query_scalar(
        "SELECT privilege_type::text FROM information_schema.role_table_grants WHERE grantee = 'tenure_example' AND table_name = 'tenure_example_data' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("grants");
    assert_eq!(privileges, vec!["SELECT".to_owned()]);

    let rotate = traced(example.command(&["rotate", "local:db/tenure_example"]));
    let current = example.run(&["local", "get", "db/tenure_example"]);
    let current: serde_json::Value = serde_json::from_str(stdout(&current).trim()).expect("json");
    let password = current["password"].as_str().expect("password").to_owned();
    assert_eq!(
        login(&url, "change-me").await,
        Err("28P01".into()),
        "the old password still works"
    );
    assert_eq!(
        login(&url, &password).await,
        Ok(()),
        "the new password does not work"
    );
    // An attestation (a fresh login and a catalog read) at TRACE level too.
    let attest = traced(example.command(&["attest"]));
    assert!(
        stdout(&attest).contains("local:db/tenure_example  ok"),
        "{}",
        stdout(&attest)
    );
    // The rotation and the attestation ran at TRACE level: no password,
    // admin password or verifier reached the logs.
    let logs = stderr(&rotate) + &stderr(&attest);
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "not at trace level"
    );
    let admin_password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map_or("no-password-in-url".to_owned(), |(_, password)| {
            password.to_owned()
        });
    for value in [password.as_str(), "change-me", admin_password.as_str()] {
        assert!(!logs.contains(value), "a secret value reached the logs");
    }
    assert!(
        !logs.contains("SCRAM-SHA-256$"),
        "a password verifier reached the logs"
    );

    example.ok(&["revoke", "local:db/tenure_example"]);
    assert_eq!(
        login(&url, &password).await,
        Err("28000".into()),
        "a login still works after revoke"
    );
    // The old password fails its check before NOLOGIN is even consulted.
    assert_eq!(login(&url, "change-me").await, Err("28P01".into()));
    assert!(
        example.audit().contains("refused with SQLSTATE 28000"),
        "the audit trail lacks the failed-login proof"
    );
    example.ok(&["audit", "verify"]);
}
