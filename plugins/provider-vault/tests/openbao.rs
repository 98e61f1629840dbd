//! The vault provider against a real OpenBao dev server (address and token in
//! TENURE_TEST_VAULT_ADDR / TENURE_TEST_VAULT_TOKEN, set by scripts/services).

use std::collections::BTreeMap;

use tenure_plugin_api::{Catalog, ErrorKind, Reads, SecretSource, SecretValue, Stage, Writes};
use tenure_provider_vault::{VaultAuth, VaultConfig, VaultProvider};
use tenure_testkit::{run_provider_suite, service_url, unique_name};

fn provider() -> Option<VaultProvider> {
    service_url("TENURE_TEST_VAULT_ADDR")?;
    Some(VaultProvider::new(
        "vault",
        VaultConfig {
            address: SecretSource::Env("TENURE_TEST_VAULT_ADDR".into()),
            auth: VaultAuth::Token {
                token: SecretSource::Env("TENURE_TEST_VAULT_TOKEN".into()),
            },
            mount: "secret".into(),
            prefix: None,
            staging: ".tenure-pending".into(),
            namespace: None,
            ca_file: None,
        },
    ))
}

#[tokio::test]
async fn openbao_kv2_passes_the_provider_conformance_suite() {
    let Some(provider) = provider() else { return };
    run_provider_suite(&provider, &unique_name("conformance"))
        .await
        .expect("conformance");
}

#[tokio::test]
async fn a_concurrent_writer_is_never_silently_overwritten() {
    let Some(provider) = provider() else { return };
    let path = format!("{}/db", unique_name("cas"));
    provider
        .put_current(
            &path,
            &SecretValue::new(r#"{"username":"app","password":"one"}"#.into()),
            &BTreeMap::new(),
        )
        .await
        .expect("put");
    let pending = provider
        .stage_pending(
            &path,
            "run-1",
            &SecretValue::new(r#"{"username":"app","password":"two"}"#.into()),
            &BTreeMap::new(),
        )
        .await
        .expect("stage");
    // Someone else writes the secret between staging and promotion.
    provider
        .put_current(
            &path,
            &SecretValue::new(r#"{"username":"app","password":"theirs"}"#.into()),
            &BTreeMap::new(),
        )
        .await
        .expect("their write");
    // The check-and-set write still wins only over the version it saw: the
    // promotion reads the latest version number, so it lands on top of
    // theirs, and theirs stays in history as previous.
    provider.promote(&path, &pending).await.expect("promote");
    let current = provider.read(&path, Stage::Current).await.expect("read");
    assert_eq!(current.expose(), r#"{"password":"two","username":"app"}"#);
    assert_eq!(
        provider
            .read(&path, Stage::Previous)
            .await
            .expect("previous")
            .expose(),
        r#"{"password":"theirs","username":"app"}"#
    );
    // Database-style secrets are stored as the KV map itself.
    let meta = provider.describe(&path).await.expect("describe");
    assert_eq!(
        meta.versions
            .iter()
            .filter(|v| v.has(Stage::Current))
            .count(),
        1
    );
    let err = provider
        .stage_pending(
            &path,
            "bad/token",
            &SecretValue::new("x".into()),
            &BTreeMap::new(),
        )
        .await
        .expect_err("bad token");
    assert_eq!(err.kind(), ErrorKind::Permanent);
}

/// A root client for writing around the provider, as a crash would leave things.
fn root() -> vaultrs::client::VaultClient {
    vaultrs::client::VaultClient::new(
        vaultrs::client::VaultClientSettingsBuilder::default()
            .address(std::env::var("TENURE_TEST_VAULT_ADDR").expect("addr"))
            .token(std::env::var("TENURE_TEST_VAULT_TOKEN").expect("token"))
            .build()
            .expect("settings"),
    )
    .expect("client")
}

fn map(password: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("password".into(), password.into());
    map
}

/// A database-style value holding `password`.
fn put(password: &str) -> SecretValue {
    SecretValue::new(format!(r#"{{"password":"{password}"}}"#))
}

/// A new secret named after `name`, whose current password is "one".
async fn seeded(provider: &VaultProvider, name: &str) -> String {
    let path = unique_name(name);
    provider
        .put_current(&path, &put("one"), &BTreeMap::new())
        .await
        .expect("put");
    path
}

#[tokio::test]
async fn a_crash_between_staging_the_value_and_pointing_to_it_is_repaired_by_the_retry() {
    let Some(provider) = provider() else { return };
    let path = seeded(&provider, "orphan").await;
    // The first attempt wrote its value, then died before the pointer.
    vaultrs::kv2::set(
        &root(),
        "secret",
        &format!(".tenure-pending/{path}/run-1"),
        &map("first-attempt"),
    )
    .await
    .expect("orphan");
    assert!(
        provider
            .describe(&path)
            .await
            .expect("describe")
            .version(Stage::Pending)
            .is_none()
    );
    // The retry issued a new value: that one is staged, not the orphan.
    let pending = provider
        .stage_pending(&path, "run-1", &put("retry"), &BTreeMap::new())
        .await
        .expect("stage");
    assert_eq!(
        provider
            .read(&path, Stage::Pending)
            .await
            .expect("pending")
            .expose(),
        r#"{"password":"retry"}"#
    );
    provider.promote(&path, &pending).await.expect("promote");
    assert_eq!(
        provider
            .read(&path, Stage::Current)
            .await
            .expect("current")
            .expose(),
        r#"{"password":"retry"}"#
    );
}

#[tokio::test]
async fn a_promotion_retried_after_a_crash_writes_no_second_version() {
    let Some(provider) = provider() else { return };
    let path = seeded(&provider, "promote-crash").await;
    let pending = provider
        .stage_pending(&path, "run-1", &put("two"), &BTreeMap::new())
        .await
        .expect("stage");
    // The first attempt wrote the new version, then died before its metadata.
    vaultrs::kv2::set(&root(), "secret", &path, &map("two"))
        .await
        .expect("promoted value");
    provider.promote(&path, &pending).await.expect("retry");
    let meta = provider.describe(&path).await.expect("describe");
    assert_eq!(meta.versions.len(), 2, "no duplicate version");
    assert!(meta.version(Stage::Pending).is_none());
    assert_eq!(
        provider
            .read(&path, Stage::Previous)
            .await
            .expect("previous")
            .expose(),
        r#"{"password":"one"}"#
    );
    // And a retry after everything was done is a no-op.
    provider.promote(&path, &pending).await.expect("again");
}
