//! TLS to the servers Tenure acts on, end to end through the binary: the
//! scram PostgreSQL cluster refuses members of `tenure_tls_only` without
//! TLS, and the second Redis speaks TLS only, so every rotation, narrowing,
//! revocation and attestation below (and the PostgreSQL state store) had to
//! go over TLS, verified against the test CA of scripts/services. A wrong
//! CA is refused.

use std::str::FromStr;

use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, pg_login};
use crate::common::sql::{can_login, run_sql};
use crate::common::{stderr, stdout};

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/test"))
}

/// The attestation of `secret` as `tenure attest --format json` reports it.
async fn attest(bed: &Bed, secret: &str) -> (Option<i32>, Value) {
    let out = bed.run(&["attest", secret, "--format", "json"]).await;
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|_| panic!("not json: {}", stderr(&out)));
    (out.status.code(), report["secrets"][0].clone())
}

/// Narrowing (attested first) and then a rotation of `secret`, after which
/// an attestation finds it ok.
async fn narrowed_rotated_and_attested(bed: &Bed, secret: &str) {
    bed.pass_saying(&format!("{secret} must be narrowed: scope_excess."))
        .await;
    bed.ok(&["rotate", secret]).await;
    let (code, attestation) = attest(bed, secret).await;
    assert_eq!(
        (code, &attestation["result"]),
        (Some(0), &json!("ok")),
        "{attestation}"
    );
}

/// The attestation of `secret` by a bed on `config` with `env` (a wrong
/// CA) given `bed`'s current value of `path`: it cannot be made (exit 1).
async fn attested_elsewhere(
    bed: &Bed,
    config: &str,
    env: &[(&str, &str)],
    path: &str,
    secret: &str,
) -> Value {
    let wrong = Bed::new(config, env);
    wrong.put(path, &bed.get(path).await).await;
    let (code, attestation) = attest(&wrong, secret).await;
    assert_eq!(code, Some(1));
    attestation
}

/// Whether a check of the attestation failed because of the certificate.
fn certificate_refused(attestation: &Value) -> bool {
    attestation["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| {
            c["outcome"] == "unavailable"
                && c["detail"]["error"]
                    .as_str()
                    .is_some_and(|e| e.to_ascii_lowercase().contains("certificate"))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_with_a_ca_file() {
    let Some(url) = service_url("TENURE_TEST_PG_TLS_URL") else {
        return;
    };
    let admin = PgPool::connect(&url).await.expect("admin over TLS");
    let role = unique_name("tls_pg");
    let table = format!("{role}_data");
    for statement in [
        format!("CREATE ROLE {role} LOGIN PASSWORD 'initial-password' IN ROLE tenure_tls_only"),
        format!("CREATE TABLE public.{table} (id int)"),
        format!("GRANT SELECT, INSERT ON public.{table} TO {role}"),
        format!("CREATE DATABASE {role}_state"),
    ] {
        run_sql(&admin, &statement).await;
    }
    let options = PgConnectOptions::from_str(&url).expect("url");
    let state_url = url.replacen("/postgres?", &format!("/{role}_state?"), 1);
    let path = format!("db/{role}");
    let config = common::drift::config(
        &path,
        "pg",
        "type = \"postgres\"\nadmin_url = { env = \"TLS_PG_ADMIN_URL\" }\nconnect_timeout = \"3s\"",
        &role,
        &[format!("SELECT ON public.{table}")],
    )
    .replace(
        "state_dir = \"state\"",
        "state_dir = \"state\"\nstate_url = { env = \"TLS_STATE_URL\" }",
    );
    let bed = Bed::new(
        &config,
        &[
            ("TLS_PG_ADMIN_URL", url.as_str()),
            ("TLS_STATE_URL", state_url.as_str()),
        ],
    );
    bed.put(
        &path,
        &pg_login(&role, "initial-password", options.get_port()),
    )
    .await;
    let secret = format!("local:{path}");
    // A login of this role without TLS is refused by the server itself.
    let plain = PgConnectOptions::from_str(&url)
        .expect("url")
        .ssl_mode(sqlx::postgres::PgSslMode::Disable)
        .username(&role)
        .password("initial-password");
    assert!(PgConnection::connect_with(&plain).await.is_err());

    // Narrowing (attested first) and then a rotation, over TLS.
    narrowed_rotated_and_attested(&bed, &secret).await;
    let value: Value = serde_json::from_str(&bed.get(&path).await).expect("json");
    let tls_login = PgConnectOptions::from_str(&url)
        .expect("url")
        .username(&role)
        .password(value["password"].as_str().expect("password"));
    let mut connection = PgConnection::connect_with(&tls_login)
        .await
        .expect("the rotated credential logs in over TLS");
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut connection)
        .await
        .expect("pg_stat_ssl");
    assert!(ssl);
    let _ = connection.close().await;

    // A wrong CA is refused: the check cannot be made, and says why.
    let wrong = env("TENURE_TEST_PG_TLS_WRONG_CA_URL");
    let wrong_bed_config = std::fs::read_to_string(&bed.config).expect("config");
    let attestation = attested_elsewhere(
        &bed,
        &wrong_bed_config.replace("state_url = { env = \"TLS_STATE_URL\" }\n", ""),
        &[("TLS_PG_ADMIN_URL", wrong.as_str())],
        &path,
        &secret,
    )
    .await;
    assert!(certificate_refused(&attestation), "{attestation}");

    // Revocation over TLS, with its proof.
    bed.ok(&["revoke", secret.as_str()]).await;
    assert!(!can_login(&admin, &role).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_over_tls_with_a_ca_file() {
    let Some(url) = service_url("TENURE_TEST_REDIS_TLS_URL") else {
        return;
    };
    let ca = env("TENURE_TEST_TLS_CA");
    let certs = || redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(std::fs::read(&ca).expect("ca")),
    };
    let admin_client = redis::Client::build_with_tls(url.as_str(), certs()).expect("client");
    let mut admin = admin_client
        .get_multiplexed_async_connection()
        .await
        .expect("admin over TLS");
    let user = unique_name("tls_redis");
    let keys = format!("~{user}:*");
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            &user,
            "reset",
            "on",
            ">initial-password",
            &keys,
            "+get",
            "+set",
        ])
        .query_async(&mut admin)
        .await
        .expect("user");
    let path = format!("cache/{user}");
    let table = format!(
        "type = \"redis\"\nadmin_url = {{ env = \"TLS_REDIS_ADMIN_URL\" }}\nca_file = {ca:?}\nconnect_timeout = \"3s\""
    );
    let config = common::drift::config(&path, "redis", &table, &user, &["+get".to_owned(), keys]);
    let bed = Bed::new(&config, &[("TLS_REDIS_ADMIN_URL", url.as_str())]);
    // The secret names the host and port: the login keeps TLS anyway.
    bed.put(
        &path,
        &json!({ "username": user, "password": "initial-password", "host": "127.0.0.1", "port": 6390 })
            .to_string(),
    )
    .await;
    let secret = format!("local:{path}");

    narrowed_rotated_and_attested(&bed, &secret).await;

    let attestation = attested_elsewhere(
        &bed,
        &config.replace(
            &format!("{ca:?}"),
            &format!("{:?}", env("TENURE_TEST_TLS_WRONG_CA")),
        ),
        &[("TLS_REDIS_ADMIN_URL", url.as_str())],
        &path,
        &secret,
    )
    .await;
    assert!(
        attestation["findings"] == json!(["attestation_unavailable"]),
        "{attestation}"
    );

    bed.ok(&["revoke", secret.as_str()]).await;
    let flags: Vec<String> = {
        let reply: redis::Value = redis::cmd("ACL")
            .arg(&["GETUSER", &user])
            .query_async(&mut admin)
            .await
            .expect("getuser");
        format!("{reply:?}")
            .split('"')
            .map(str::to_owned)
            .filter(|s| s == "off" || s == "on")
            .collect()
    };
    assert_eq!(flags, vec!["off"], "not revoked");
}
