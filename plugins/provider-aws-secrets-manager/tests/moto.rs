//! The AWS Secrets Manager provider through the real SDK against a moto
//! server (endpoint in TENURE_TEST_AWS_ENDPOINT, set by scripts/services).

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use tenure_plugin_api::{Attributes, Catalog, ErrorKind, Reads, Revocation as _, Stage, Writes};
use tenure_provider_aws_secrets_manager::{AwsConfig, AwsSecretsManagerProvider};
use tenure_testkit::provider_steps::{assert_reads, put, read_text, stage, value};
use tenure_testkit::{run_provider_suite, service_url, unique_name};

fn sdk(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "tests",
        )))
        .build()
}

fn provider() -> Option<AwsSecretsManagerProvider> {
    let endpoint = service_url("TENURE_TEST_AWS_ENDPOINT")?;
    Some(AwsSecretsManagerProvider::with_sdk_config(
        "aws",
        AwsConfig::new(),
        sdk(&endpoint),
    ))
}

#[tokio::test]
async fn moto_passes_the_provider_conformance_suite() {
    let Some(provider) = provider() else { return };
    run_provider_suite(&provider, &unique_name("conformance"))
        .await
        .expect("conformance");
}

#[tokio::test]
async fn a_rotation_leaves_current_previous_and_no_pending() {
    let Some(provider) = provider() else { return };
    let path = format!("{}/db", unique_name("labels"));
    put(&provider, &path, "old").await;
    let run = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let pending = stage(&provider, &path, run, "new").await;
    // The version id is the rotation's id: a retry is idempotent.
    assert_eq!(pending.0, run);
    provider.promote(&path, &pending).await.expect("promote");
    let meta = provider.describe(&path).await.expect("describe");
    assert!(meta.version(Stage::Pending).is_none());
    assert_eq!(
        meta.version(Stage::Current).map(|v| v.id.0.as_str()),
        Some(run)
    );
    assert_reads(
        &provider,
        &path,
        &[(Stage::Previous, "old"), (Stage::Current, "new")],
    )
    .await;
}

#[tokio::test]
async fn a_stale_pending_version_is_detected_and_can_be_cleared() {
    let Some(provider) = provider() else { return };
    let path = format!("{}/api", unique_name("stale"));
    put(&provider, &path, "v1").await;
    // A rotation that failed after staging leaves AWSPENDING behind.
    let stale = stage(&provider, &path, "failed-run", "v2").await;
    let err = provider
        .stage_pending(&path, "next-run", &value("v3"), &BTreeMap::new())
        .await
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let meta = provider.describe(&path).await.expect("describe");
    assert_eq!(
        meta.version(Stage::Pending)
            .and_then(|v| v.token.as_deref()),
        Some("failed-run")
    );
    provider
        .discard_pending(&path, &stale)
        .await
        .expect("discard");
    // The next rotation stages.
    stage(&provider, &path, "next-run", "v3").await;
}

#[tokio::test]
async fn disabling_schedules_deletion_and_inventory_still_shows_it() {
    let Some(provider) = provider() else { return };
    let path = format!("{}/gone", unique_name("revoke"));
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "dana@example.com".to_owned());
    provider
        .put_current(&path, &value("x"), &tags)
        .await
        .expect("create");
    provider
        .disable_revoked(&path, Some(std::time::Duration::from_secs(7 * 86_400)))
        .await
        .expect("disable");
    let listed = provider.list().await.expect("list");
    let entry = listed
        .iter()
        .find(|m| m.path == path)
        .expect("still inventoried");
    assert!(!entry.enabled);
    assert_eq!(
        entry.tags.get("owner").map(String::as_str),
        Some("dana@example.com")
    );
    assert!(provider.read(&path, Stage::Current).await.is_err());
    provider.set_enabled(&path, true).await.expect("restore");
    assert_eq!(read_text(&provider, &path, Stage::Current).await, "x");
}
