//! `config/examples/openbao.toml` against a real OpenBao: `tenure rotate
//! vault:tenure-example` writes a new version whose value differs and whose
//! metadata says when and why it rotated.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::stderr;
use tenure_plugin_api::conformance::service_url;
use tenure_plugin_api::{SecretValue, Stage};

#[tokio::test]
async fn rotate_writes_a_new_version_with_when_and_why() {
    let Some(addr) = service_url("TENURE_TEST_VAULT_ADDR") else {
        return;
    };
    let token = std::env::var("TENURE_TEST_VAULT_TOKEN").expect("TENURE_TEST_VAULT_TOKEN");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/openbao.toml"),
    )
    .expect("example")
    .replace(
        "\"../../.tenure-openbao\"",
        &format!("{:?}", root.join("state")),
    );
    let config_path = root.join("tenure.toml");
    std::fs::write(&config_path, example).expect("config");
    // The test's own view of the same server, through the test-service variables.
    let own = root.join("own.toml");
    let own_text = std::fs::read_to_string(&config_path)
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

    let rotate = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .arg("-c")
        .arg(&config_path)
        .args(["rotate", "vault:tenure-example"])
        .env("VAULT_ADDR", &addr)
        .env("VAULT_TOKEN", &token)
        .env_remove("TENURE_LOG")
        .output()
        .expect("rotate");
    assert!(rotate.status.success(), "{}", stderr(&rotate));

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
    let metadata = Command::new("bao")
        .args([
            "kv",
            "metadata",
            "get",
            "-format=json",
            "secret/tenure-example",
        ])
        .env("VAULT_ADDR", &addr)
        .env("VAULT_TOKEN", &token)
        .output()
        .expect("bao");
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
