//! `config/examples/postgres.toml` end to end against a real PostgreSQL with
//! password authentication: `run --once` narrows, `rotate` changes the
//! password (old refused, new accepted), `revoke` leaves no working login.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};

use crate::common::{stderr, stdout};

fn admin_url() -> Option<String> {
    tenure_testkit::service_url("TENURE_TEST_PG_URL")
}

async fn login(url: &str, password: &str) -> Result<(), String> {
    let options = PgConnectOptions::from_str(url)
        .expect("url")
        .username("tenure_example")
        .password(password);
    match PgConnection::connect_with(&options).await {
        Ok(c) => {
            let _ = c.close().await;
            Ok(())
        }
        Err(sqlx::Error::Database(e)) => Err(e.code().map(|c| c.into_owned()).unwrap_or_default()),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn the_postgres_example_narrows_rotates_and_revokes() {
    let Some(url) = admin_url() else { return };
    let pool = PgPool::connect(&url).await.expect("admin");
    for statement in [
        "DROP TABLE IF EXISTS public.tenure_example_data",
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tenure_example') THEN DROP OWNED BY tenure_example; DROP ROLE tenure_example; END IF; END $$",
        "CREATE ROLE tenure_example LOGIN PASSWORD 'change-me'",
        "CREATE TABLE public.tenure_example_data (id int)",
        "GRANT SELECT, INSERT, DELETE ON public.tenure_example_data TO tenure_example",
    ] {
        sqlx::raw_sql(statement)
            .execute(&pool)
            .await
            .expect(statement);
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/postgres.toml"),
    )
    .expect("example")
    .replace(
        "\"../../.tenure-postgres\"",
        &format!("{:?}", root.join("state")),
    )
    .replace(
        "\"../../.tenure-postgres/vault.tvault\"",
        &format!("{:?}", root.join("vault.tvault")),
    );
    let config = root.join("tenure.toml");
    std::fs::write(&config, example).expect("config");
    let tenure = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
        command
            .arg("-c")
            .arg(&config)
            .args(args)
            .env("TENURE_PG_ADMIN_URL", &url)
            .env_remove("TENURE_LOG");
        command
    };

    let options = PgConnectOptions::from_str(&url).expect("url");
    let secret = format!(
        r#"{{"username":"tenure_example","password":"change-me","host":"{}","port":{},"dbname":"postgres"}}"#,
        options.get_host(),
        options.get_port()
    );
    let mut put = tenure(&[
        "local",
        "put",
        "db/tenure_example",
        "--owner",
        "dba@example.com",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("put");
    put.stdin
        .take()
        .expect("stdin")
        .write_all(secret.as_bytes())
        .expect("write");
    let put = put.wait_with_output().expect("put");
    assert!(put.status.success(), "{}", stderr(&put));

    let run = tenure(&["run", "--once"]).output().expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
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

    let rotate = tenure(&["rotate", "local:db/tenure_example"])
        .env("TENURE_LOG", "trace")
        .output()
        .expect("rotate");
    assert!(rotate.status.success(), "{}", stderr(&rotate));
    let current = tenure(&["local", "get", "db/tenure_example"])
        .output()
        .expect("get");
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
    let attest = tenure(&["attest"])
        .env("TENURE_LOG", "trace")
        .output()
        .expect("attest");
    assert!(attest.status.success(), "{}", stderr(&attest));
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

    let revoke = tenure(&["revoke", "local:db/tenure_example"])
        .output()
        .expect("revoke");
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert_eq!(
        login(&url, &password).await,
        Err("28000".into()),
        "a login still works after revoke"
    );
    // The old password fails its check before NOLOGIN is even consulted.
    assert_eq!(login(&url, "change-me").await, Err("28P01".into()));
    let trail = std::fs::read_to_string(root.join("state/audit.jsonl")).expect("trail");
    assert!(
        trail.contains("refused with SQLSTATE 28000"),
        "the audit trail lacks the failed-login proof"
    );
    let verify = tenure(&["audit", "verify"]).output().expect("verify");
    assert!(verify.status.success());
}
