//! `config/examples/openbao.toml` against a real OpenBao: `tenure rotate
//! vault:tenure-example` writes a new version whose value differs and whose
//! metadata says when and why it rotated.

use std::process::{Command, Output};

use tenure_plugin_api::{SecretValue, Stage};
use tenure_testkit::service_url;

use crate::common::example::Example;

/// Runs the OpenBao CLI on the server at `addr` with `token`.
fn bao(addr: &str, token: &str, args: &[&str]) -> Output {
    Command::new("bao")
        .args(args)
        .env("VAULT_ADDR", addr)
        .env("VAULT_TOKEN", token)
        .output()
        .expect("bao")
}

#[tokio::test]
async fn rotate_writes_a_new_version_with_when_and_why() {
    let Some(addr) = service_url("TENURE_TEST_VAULT_ADDR") else {
        return;
    };
    let token = std::env::var("TENURE_TEST_VAULT_TOKEN").expect("TENURE_TEST_VAULT_TOKEN");
    let example = Example::new("openbao", |text, _| text)
        .env("VAULT_ADDR", &addr)
        .env("VAULT_TOKEN", &token);
    // The test's own view of the same server, through the test-service variables.
    let own = example.root.join("own.toml");
    let own_text = std::fs::read_to_string(&example.config)
        .expect("config")
        .replace(
            "{ env = \"VAULT_ADDR\" }",
            "{ env = \"TENURE_TEST_VAULT_ADDR\" }",
        )
        .replace(
            "{ env = \"VAULT_TOKEN\" }",
            "{ env = \"TENURE_TEST_VAULT_TOKEN\" }",
        );
    std::fs::write(&own, own_text).expect("own config");
    let config = tenure::config::load(&own).expect("config");
    let plugins = tenure::plugins::Plugins::build(&config).expect("plugins");
    let vault = plugins.provider("vault").expect("vault");
    vault
        .put_current(
            "tenure-example",
            &SecretValue::new("initial-value".into()),
            &Default::default(),
        )
        .await
        .expect("seed");

    example.ok(&["rotate", "vault:tenure-example"]);

    let current = vault
        .read("tenure-example", Stage::Current)
        .await
        .expect("read");
    assert_ne!(current.expose(), "initial-value");
    assert_eq!(current.len(), 40);
    assert_eq!(
        vault
            .read("tenure-example", Stage::Previous)
            .await
            .expect("previous")
            .expose(),
        "initial-value"
    );
    let metadata = bao(
        &addr,
        &token,
        &[
            "kv",
            "metadata",
            "get",
            "-format=json",
            "secret/tenure-example",
        ],
    );
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).expect("json");
    let custom = &metadata["data"]["custom_metadata"];
    assert!(
        custom["tenure_rotated_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20")),
        "{metadata}"
    );
    assert_eq!(custom["tenure_reason"], "operator_request", "{metadata}");
    assert_eq!(custom["owner"], "platform@example.com", "{metadata}");
}

/// A record with `leases`: `tenure revoke` also revokes the workload's
/// dynamic database credentials in OpenBao and records that none remain.
#[tokio::test]
async fn revoke_also_revokes_the_records_leases_and_proves_none_remain() {
    let Some(addr) = service_url("TENURE_TEST_VAULT_ADDR") else {
        return;
    };
    let token = std::env::var("TENURE_TEST_VAULT_TOKEN").expect("TENURE_TEST_VAULT_TOKEN");
    let pg = service_url("TENURE_TEST_PG_URL").expect("TENURE_TEST_PG_URL");
    let mount = tenure_testkit::unique_name("db");
    let bao_ok = |args: &[&str]| {
        let out = bao(&addr, &token, args);
        assert!(
            out.status.success(),
            "bao {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    // OpenBao's database engine on the scram PostgreSQL, one dynamic role.
    let (credentials, location) = pg
        .strip_prefix("postgres://")
        .and_then(|rest| rest.split_once('@'))
        .expect("pg url");
    let (user, password) = credentials.split_once(':').expect("credentials");
    let host = location.split('/').next().expect("host");
    bao_ok(&["secrets", "enable", &format!("-path={mount}"), "database"]);
    bao_ok(&[
        "write",
        &format!("{mount}/config/pg"),
        "plugin_name=postgresql-database-plugin",
        "allowed_roles=*",
        &format!(
            "connection_url=postgresql://{{{{username}}}}:{{{{password}}}}@{host}/postgres?sslmode=disable"
        ),
        &format!("username={user}"),
        &format!("password={password}"),
    ]);
    bao_ok(&[
        "write",
        &format!("{mount}/roles/orders"),
        "db_name=pg",
        "default_ttl=1h",
        r#"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#,
    ]);
    for _ in 0..2 {
        bao_ok(&["read", "-format=json", &format!("{mount}/creds/orders")]);
    }

    let secret = format!("{mount}-orders");
    let example = Example::new("openbao", |text, _| {
        text.replace("vault:tenure-example", &format!("vault:{secret}"))
            .replace(
                "max_age = \"30d\"",
                &format!("max_age = \"30d\"\nleases = [\"{mount}/creds/orders\"]"),
            )
    })
    .env("VAULT_ADDR", &addr)
    .env("VAULT_TOKEN", &token);
    bao_ok(&[
        "kv",
        "put",
        &format!("secret/{secret}"),
        "value=static-part",
    ]);

    example.ok(&["revoke", &format!("vault:{secret}")]);
    // `bao list` exits 2 with "No value found" when nothing is left.
    let leases = bao(
        &addr,
        &token,
        &[
            "list",
            "-format=json",
            &format!("sys/leases/lookup/{mount}/creds/orders"),
        ],
    );
    assert_eq!(
        leases.status.code(),
        Some(2),
        "leases remain: {}",
        String::from_utf8_lossy(&leases.stdout)
    );
    let audit = example.audit();
    let evidence = audit
        .lines()
        .find(|l| l.contains("\"leases\":[{"))
        .unwrap_or_else(|| panic!("no lease evidence in the audit:\n{audit}"));
    assert!(
        evidence.contains(&format!(
            r#""leases":[{{"found":2,"prefix":"{mount}/creds/orders","remaining":0}}]"#
        )),
        "{evidence}"
    );
}
