//! The provider through the real SDK against the HTTPS stand-in of Key
//! Vault and Entra ID (`tenure_testkit::azure_standin`). No external
//! service: these always run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::{Duration, OffsetDateTime};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use chrono::Utc;
use tenure_plugin_api::{ErrorKind, Provider, SecretValue, Stage, VaultEvents as _};
use tenure_provider_azure_key_vault::{AzureKeyVaultConfig, AzureKeyVaultProvider, name_of};
use tenure_testkit::azure_standin::{CLIENT_ID, CLIENT_SECRET, StandIn, TENANT};

/// Client options that reach the stand-in: its HTTP client, and a short
/// retry policy so a refused connection fails fast.
fn client_options(standin: &StandIn) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(Arc::new(standin.http_client()))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: Duration::milliseconds(20),
            max_retries: 4,
            max_total_elapsed: Duration::seconds(30),
            max_delay: Duration::seconds(5),
        }),
        ..Default::default()
    }
}

/// azure_identity's `ClientSecretCredential` pointed at the stand-in's token endpoint.
fn credential(standin: &StandIn, secret: &str) -> Arc<dyn TokenCredential> {
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = standin.authority();
    let options = ClientSecretCredentialOptions {
        client_options: ClientOptions {
            cloud: Some(Arc::new(cloud.into())),
            ..client_options(standin)
        },
    };
    ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new(secret.to_owned()),
        Some(options),
    )
    .unwrap()
}

fn provider_with(
    standin: &StandIn,
    config: AzureKeyVaultConfig,
    secret: &str,
) -> AzureKeyVaultProvider {
    AzureKeyVaultProvider::with_credential(
        "azure",
        &config,
        credential(standin, secret),
        client_options(standin),
    )
    .unwrap()
}

fn provider(standin: &StandIn) -> AzureKeyVaultProvider {
    provider_with(
        standin,
        AzureKeyVaultConfig::new(standin.vault_url()),
        CLIENT_SECRET,
    )
}

fn value(text: &str) -> SecretValue {
    SecretValue::new(text.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_passes() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    tenure_testkit::run_provider_suite(&provider, "tenure-test")
        .await
        .unwrap();
    let counters = standin.counters();
    // One challenge (the client caches the scope), one token (cached too).
    assert_eq!(counters.challenges, 1, "{counters:?}");
    assert_eq!(counters.tokens_issued, 1, "{counters:?}");
    assert_eq!(counters.bad_tokens, 0, "{counters:?}");
    assert!(!counters.api_versions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_writes_a_new_version_with_a_new_expiry_and_revoke_disables() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    let path = "apps/billing/db_password";
    let name = name_of(path).unwrap();
    assert_eq!(name, "apps--billing--db---password");
    // Written by someone else with a 10-day lifetime that started 9 days ago.
    let now = Utc::now().timestamp();
    standin.seed_with(
        &name,
        "old-value",
        Some(now + 86_400),
        Some(now - 9 * 86_400),
    );

    let before = provider.describe(path).await.unwrap();
    let old = before.version(Stage::Current).unwrap().id.clone();
    assert_eq!(before.expires_at.map(|t| t.timestamp()), Some(now + 86_400));

    let mut notes = BTreeMap::new();
    notes.insert("reason".to_owned(), "max_age_exceeded".to_owned());
    let pending = provider
        .stage_pending(path, "run-1", &value("new-value"), &notes)
        .await
        .unwrap();
    // Consumers still read the old value; the pending one is readable by id.
    assert_eq!(
        provider.read(path, Stage::Current).await.unwrap().expose(),
        "old-value"
    );
    assert_eq!(
        provider.read(path, Stage::Pending).await.unwrap().expose(),
        "new-value"
    );
    assert_eq!(
        provider
            .read_version(path, &pending)
            .await
            .unwrap()
            .expose(),
        "new-value"
    );

    provider.promote(path, &pending).await.unwrap();
    provider.promote(path, &pending).await.unwrap();
    let after = provider.describe(path).await.unwrap();
    let current = after.version(Stage::Current).unwrap();
    assert_ne!(current.id, old);
    assert_eq!(after.version(Stage::Previous).map(|v| &v.id), Some(&old));
    assert!(after.version(Stage::Pending).is_none());
    assert!(after.enabled);
    assert!(
        after.tags.keys().all(|k| !k.starts_with("tenure-")),
        "{:?}",
        after.tags
    );
    assert_eq!(
        provider.read(path, Stage::Current).await.unwrap().expose(),
        "new-value"
    );
    assert_eq!(
        provider.read(path, Stage::Previous).await.unwrap().expose(),
        "old-value"
    );

    // The new version keeps the 10-day lifetime from now, and starts now.
    let attributes = standin.attributes(&name);
    assert_eq!(attributes.len(), 2);
    let (ref new_id, enabled, exp, nbf) = attributes[1];
    assert_eq!(new_id, &current.id.0);
    assert!(enabled);
    let (exp, nbf) = (exp.unwrap(), nbf.unwrap());
    assert!((nbf - now).abs() <= 5, "nbf {nbf} now {now}");
    assert!(
        (exp - (nbf + 10 * 86_400)).abs() <= 1,
        "exp {exp} nbf {nbf}"
    );
    assert_eq!(after.expires_at.map(|t| t.timestamp()), Some(exp));
    // The old version is kept, enabled, until retired.
    assert!(attributes[0].1);

    provider.retire(path, &old).await.unwrap();
    provider.retire(path, &old).await.unwrap();
    assert!(
        !standin.attributes(&name)[0].1,
        "retire disables the old version"
    );
    assert_eq!(
        provider
            .read(path, Stage::Previous)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        provider.read_version(path, &old).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Revocation disables the current version: "get latest" is refused.
    provider.set_enabled(path, false).await.unwrap();
    provider.set_enabled(path, false).await.unwrap();
    assert!(!provider.describe(path).await.unwrap().enabled);
    assert!(!standin.attributes(&name)[1].1);
    let refused = provider.read(path, Stage::Current).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Permanent, "{refused}");
    assert!(refused.message().contains("disabled"), "{refused}");
    // Enabling again restores it.
    provider.set_enabled(path, true).await.unwrap();
    assert_eq!(
        provider.read(path, Stage::Current).await.unwrap().expose(),
        "new-value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_lifetime_sets_exp_on_every_write() {
    let standin = StandIn::start().await;
    let mut config = AzureKeyVaultConfig::new(standin.vault_url());
    config.expires_after = Some(StdDuration::from_secs(90 * 86_400));
    let provider = provider_with(&standin, config, CLIENT_SECRET);
    let now = Utc::now().timestamp();
    provider
        .put_current("svc-token", &value("v1"), &BTreeMap::new())
        .await
        .unwrap();
    let exp = provider
        .describe("svc-token")
        .await
        .unwrap()
        .expires_at
        .unwrap();
    assert!((exp.timestamp() - (now + 90 * 86_400)).abs() <= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_follows_next_links() {
    let standin = StandIn::start().await;
    let mut config = AzureKeyVaultConfig::new(standin.vault_url());
    config.page_size = 2;
    let provider = provider_with(&standin, config, CLIENT_SECRET);
    let mut tags = BTreeMap::new();
    tags.insert("owner".to_owned(), "alice@example.com".to_owned());
    let paths = ["a", "b/c", "d_e", "f-g", "h/i/j", "k"];
    for path in paths {
        provider
            .put_current(path, &value("x"), &tags)
            .await
            .unwrap();
    }
    provider
        .stage_pending("k", "run-9", &value("y"), &BTreeMap::new())
        .await
        .unwrap();
    // A name no Tenure path maps to, written by someone else.
    standin.seed("weird----name", "z");

    let listed = provider.list().await.unwrap();
    let mut found: Vec<&str> = listed.iter().map(|m| m.path.as_str()).collect();
    found.sort_unstable();
    let mut expected = paths.to_vec();
    expected.sort_unstable();
    assert_eq!(found, expected);
    for meta in &listed {
        assert_eq!(
            meta.tags.get("owner").map(String::as_str),
            Some("alice@example.com")
        );
        assert!(meta.enabled);
    }
    let k = listed.iter().find(|m| m.path == "k").unwrap();
    assert_eq!(
        k.version(Stage::Pending).and_then(|v| v.token.as_deref()),
        Some("run-9")
    );
    assert!(
        listed
            .iter()
            .filter(|m| m.path != "k")
            .all(|m| m.version(Stage::Pending).is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_waits_for_retry_after_and_succeeds() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    provider
        .put_current("throttled", &value("v"), &BTreeMap::new())
        .await
        .unwrap();
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
    provider
        .put_current(path, &value(secret), &BTreeMap::new())
        .await
        .unwrap();
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

/// The stand-in's own behaviour, checked over raw HTTP (what the README
/// claims about it must hold without the SDK's help).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_answers_like_the_service() {
    let standin = StandIn::start().await;
    let http = standin.http_client();
    let vault = standin.vault_url();
    let api = "api-version=2025-07-01";

    // No token: 401 with the challenge the SDK parses.
    let response = http
        .get(format!("{vault}/secrets?{api}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.starts_with("Bearer authorization=\"https://login.microsoftonline.com/")
            && challenge.ends_with("resource=\"https://vault.azure.net\""),
        "{challenge}"
    );

    // A token from the token endpoint (client credentials grant).
    let token: serde_json::Value = http
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", standin.authority()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "client_id={CLIENT_ID}&client_secret={}&grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2F.default",
            CLIENT_SECRET.replace('~', "%7E")
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let call = |method: reqwest::Method, url: String, body: Option<serde_json::Value>| {
        let mut request = http.request(method, url).header("authorization", &bearer);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            (status, body)
        }
    };

    let (status, body) = call(reqwest::Method::GET, format!("{vault}/secrets"), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );

    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{vault}/secrets/bad_name?{api}"),
        Some(serde_json::json!({ "value": "v" })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );

    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{vault}/secrets/Raw-Check?{api}"),
        Some(serde_json::json!({ "value": "v1", "attributes": { "exp": 2_000_000_000 }, "tags": { "a": "b" } })),
    )
    .await;
    assert_eq!(status, 200);
    let id = body["id"].as_str().unwrap().to_owned();
    let version = id.rsplit('/').next().unwrap().to_owned();
    assert_eq!(id, format!("{vault}/secrets/Raw-Check/{version}"));
    assert!(version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(body["attributes"]["exp"], 2_000_000_000);
    assert_eq!(body["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    assert!(body["attributes"]["created"].is_i64());

    // Names are compared without case; a disabled version is refused with 403.
    let (status, _) = call(
        reqwest::Method::PATCH,
        format!("{vault}/secrets/raw-check/{version}?{api}"),
        Some(serde_json::json!({ "attributes": { "enabled": false } })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        reqwest::Method::GET,
        format!("{vault}/secrets/raw-check?{api}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("Forbidden"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled secret")
    );

    let (status, body) = call(
        reqwest::Method::GET,
        format!("{vault}/secrets/nope/{version}?{api}"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("SecretNotFound"))
    );

    // Soft delete: the name cannot be reused until recovered or purged.
    let (status, body) = call(
        reqwest::Method::DELETE,
        format!("{vault}/secrets/raw-check?{api}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["recoveryId"].is_string() && body["scheduledPurgeDate"].is_i64());
    let (status, body) = call(
        reqwest::Method::PUT,
        format!("{vault}/secrets/raw-check?{api}"),
        Some(serde_json::json!({ "value": "v2" })),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("Conflict"))
    );
    let (status, _) = call(
        reqwest::Method::DELETE,
        format!("{vault}/deletedsecrets/raw-check?{api}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        reqwest::Method::PUT,
        format!("{vault}/secrets/raw-check?{api}"),
        Some(serde_json::json!({ "value": "v2" })),
    )
    .await;
    assert_eq!(status, 200);

    // Paging with maxresults and nextLink.
    for i in 0..3 {
        call(
            reqwest::Method::PUT,
            format!("{vault}/secrets/page-{i}?{api}"),
            Some(serde_json::json!({ "value": "x" })),
        )
        .await;
    }
    let (status, body) = call(
        reqwest::Method::GET,
        format!("{vault}/secrets?{api}&maxresults=3"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().unwrap().len(), 3);
    let next = body["nextLink"].as_str().unwrap().to_owned();
    let (_, body) = call(reqwest::Method::GET, next, None).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert!(body["nextLink"].is_null());
    let (status, _) = call(
        reqwest::Method::GET,
        format!("{vault}/secrets?{api}&maxresults=26"),
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_grid_names_map_to_paths_of_this_vault_only() {
    let standin = StandIn::start().await;
    let provider = provider(&standin);
    let url = standin.vault_url();
    let host = url.split("://").nth(1).unwrap_or_default();
    let vault = host.split('.').next().unwrap_or_default();
    assert_eq!(
        provider.path_for_event(vault, "apps--billing--db---password"),
        Some("apps/billing/db_password".to_owned())
    );
    assert_eq!(
        provider.path_for_event("another-vault", "apps--billing"),
        None
    );
    // Tenure's own staging secrets are not managed secrets.
    assert_eq!(provider.path_for_event(vault, "apps--tenure-pending"), None);
}
