//! The vault provider against a real OpenBao dev server (address and token in
//! TENURE_TEST_VAULT_ADDR / TENURE_TEST_VAULT_TOKEN, set by scripts/services).

mod common;

use std::collections::BTreeMap;

use tenure_plugin_api::{Catalog, ErrorKind, Stage, Writes};
use tenure_provider_vault::VaultProvider;
use tenure_testkit::provider_steps::{put, read_text, stage, value};
use tenure_testkit::{run_provider_suite, service_url, unique_name};

fn provider() -> Option<VaultProvider> {
    service_url("TENURE_TEST_VAULT_ADDR")?;
    Some(common::provider())
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
    put(&provider, &path, r#"{"username":"app","password":"one"}"#).await;
    let pending = stage(
        &provider,
        &path,
        "run-1",
        r#"{"username":"app","password":"two"}"#,
    )
    .await;
    // Someone else writes the secret between staging and promotion.
    put(
        &provider,
        &path,
        r#"{"username":"app","password":"theirs"}"#,
    )
    .await;
    // The check-and-set write still wins only over the version it saw: the
    // promotion reads the latest version number, so it lands on top of
    // theirs, and theirs stays in history as previous.
    provider.promote(&path, &pending).await.expect("promote");
    assert_eq!(
        read_text(&provider, &path, Stage::Current).await,
        r#"{"password":"two","username":"app"}"#
    );
    assert_eq!(
        read_text(&provider, &path, Stage::Previous).await,
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
        .stage_pending(&path, "bad/token", &value("x"), &BTreeMap::new())
        .await
        .expect_err("bad token");
    assert_eq!(err.kind(), ErrorKind::Permanent);
}

/// A root client for writing around the provider, as a crash would leave things.
fn root() -> vaultrs::client::VaultClient {
    common::root().expect("TENURE_TEST_VAULT_ADDR")
}

fn map(password: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    map.insert("password".into(), password.into());
    map
}

/// A database-style value holding `password`.
fn password(password: &str) -> String {
    format!(r#"{{"password":"{password}"}}"#)
}

/// A new secret named after `name`, whose current password is "one".
async fn seeded(provider: &VaultProvider, name: &str) -> String {
    let path = unique_name(name);
    put(provider, &path, &password("one")).await;
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
    let pending = stage(&provider, &path, "run-1", &password("retry")).await;
    assert_eq!(
        read_text(&provider, &path, Stage::Pending).await,
        r#"{"password":"retry"}"#
    );
    provider.promote(&path, &pending).await.expect("promote");
    assert_eq!(
        read_text(&provider, &path, Stage::Current).await,
        r#"{"password":"retry"}"#
    );
}

#[tokio::test]
async fn a_promotion_retried_after_a_crash_writes_no_second_version() {
    let Some(provider) = provider() else { return };
    let path = seeded(&provider, "promote-crash").await;
    let pending = stage(&provider, &path, "run-1", &password("two")).await;
    // The first attempt wrote the new version, then died before its metadata.
    vaultrs::kv2::set(&root(), "secret", &path, &map("two"))
        .await
        .expect("promoted value");
    provider.promote(&path, &pending).await.expect("retry");
    let meta = provider.describe(&path).await.expect("describe");
    assert_eq!(meta.versions.len(), 2, "no duplicate version");
    assert!(meta.version(Stage::Pending).is_none());
    assert_eq!(
        read_text(&provider, &path, Stage::Previous).await,
        r#"{"password":"one"}"#
    );
    // And a retry after everything was done is a no-op.
    provider.promote(&path, &pending).await.expect("again");
}
