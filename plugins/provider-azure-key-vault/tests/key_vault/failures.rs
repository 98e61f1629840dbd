//! Failures and secrecy: throttling waits for Retry-After, refused
//! credentials are unauthorized, paths Key Vault cannot name are permanent
//! errors, and no secret value reaches Debug output.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::time::{Duration, OffsetDateTime};
use tenure_plugin_api::{Attributes, Catalog, ErrorKind, Reads, Stage, Writes};
use tenure_provider_azure_key_vault::{AzureKeyVaultConfig, AzureKeyVaultProvider};
use tenure_testkit::azure_standin::{CLIENT_SECRET, StandIn};
use tenure_testkit::provider_steps::{put, value};

use super::{client_options, provider, provider_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_waits_for_retry_after_and_succeeds() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    put(&provider, "throttled", "v").await;
    standin.throttle(2, 1);
    let start = Instant::now();
    let read = provider.read("throttled", Stage::Current).await.unwrap();
    let elapsed = start.elapsed();
    assert_eq!(read.expose(), "v");
    assert_eq!(standin.counters().throttled, 2);
    assert!(
        elapsed >= StdDuration::from_secs(2),
        "two 429s with Retry-After: 1 took only {elapsed:?}"
    );
}

/// A credential that hands out a token the stand-in never issued.
#[derive(Debug)]
struct ForgedToken;

#[async_trait::async_trait]
impl TokenCredential for ForgedToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            Secret::new("forged-token"),
            OffsetDateTime::now_utc() + Duration::hours(1),
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_are_unauthorized() {
    let standin = StandIn::start().await;
    let config = AzureKeyVaultConfig::new(standin.vault_url());

    // A token the vault did not issue: challenged, then refused.
    let forged = AzureKeyVaultProvider::with_credential(
        "azure",
        &config,
        Arc::new(ForgedToken),
        client_options(&standin),
    )
    .unwrap();
    let err = forged.describe("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    let counters = standin.counters();
    assert_eq!(counters.challenges, 1, "{counters:?}");
    assert!(counters.bad_tokens >= 1, "{counters:?}");

    // A wrong client secret: Entra ID refuses to issue a token.
    let wrong = provider_with(&standin, config, "not-the-secret");
    let err = wrong.list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
    let counters = standin.counters();
    assert_eq!(counters.challenges, 2, "{counters:?}");
    assert!(counters.token_refusals >= 1, "{counters:?}");
    assert_eq!(counters.tokens_issued, 0, "{counters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_key_vault_cannot_name_are_permanent_errors() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    for path in ["a.b", "a//b", "a/", "app/tenure-pending"] {
        let err = provider.describe(path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Permanent, "{path}: {err}");
    }
    assert_eq!(standin.counters().vault_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_value_in_debug_output() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    let secret = "hunter2-do-not-print-me";
    let path = "debug/check";
    put(&provider, path, secret).await;
    let pending = provider
        .stage_pending(
            path,
            "run-a",
            &value("pending-do-not-print"),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    let conflict = provider
        .stage_pending(path, "run-b", &value(secret), &BTreeMap::new())
        .await
        .unwrap_err();
    assert_eq!(conflict.kind(), ErrorKind::Conflict);
    provider.promote(path, &pending).await.unwrap();
    provider.set_enabled(path, false).await.unwrap();
    let disabled = provider.read(path, Stage::Current).await.unwrap_err();
    let missing = provider
        .read("debug/missing", Stage::Current)
        .await
        .unwrap_err();
    let read = provider.read_version(path, &pending).await;
    let meta = provider.describe(path).await.unwrap();
    let shown = format!(
        "{provider:?} {conflict:?} {conflict} {disabled:?} {disabled} {missing:?} {read:?} {meta:?} {:?}",
        AzureKeyVaultConfig::new(standin.vault_url())
    );
    for text in [secret, "pending-do-not-print", CLIENT_SECRET] {
        assert!(!shown.contains(text), "{text} shown in {shown}");
    }
}
