//! Azure Event Grid end to end, in one process: the service (its HTTP
//! server, event store and loop) with an `azure_key_vault` provider talking
//! through the real SDK to the HTTPS stand-in of Key Vault and Entra ID
//! (`tenure_testkit::azure_standin`). A `SecretNearExpiry`
//! for a managed secret is stored, and the secret is reconciled (rotated)
//! at once, not at the next interval.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::Secret;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use serde_json::json;
use tenure::plugins::Plugins;
use tenure_plugin_api::{Provider, Reads, Stage};
use tenure_provider_azure_key_vault::{AzureKeyVaultConfig, AzureKeyVaultProvider};
use tenure_testkit::azure_standin::{CLIENT_ID, CLIENT_SECRET, StandIn, TENANT, VAULT_HOST};

const KEY: &str = "eventgrid-test-key-0123456789";

fn client_options(standin: &StandIn) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(Arc::new(standin.http_client()))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(20),
            max_retries: 2,
            max_total_elapsed: azure_core::time::Duration::seconds(10),
            max_delay: azure_core::time::Duration::seconds(1),
        }),
        ..Default::default()
    }
}

fn provider(standin: &StandIn) -> AzureKeyVaultProvider {
    let mut cloud = azure_core::cloud::CustomConfiguration::default();
    cloud.authority_host = standin.authority();
    let credential = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_owned(),
        Secret::new(CLIENT_SECRET.to_owned()),
        Some(ClientSecretCredentialOptions {
            client_options: ClientOptions {
                cloud: Some(Arc::new(cloud.into())),
                ..client_options(standin)
            },
        }),
    )
    .unwrap();
    AzureKeyVaultProvider::with_credential(
        "azure",
        &AzureKeyVaultConfig::new(standin.vault_url()),
        credential,
        client_options(standin),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_near_expiry_event_reconciles_the_secret_at_once() {
    let standin = StandIn::start().await;
    let now = chrono::Utc::now().timestamp();
    // Compliant at first: it expires in 60 days, renewed 7 days before.
    standin.seed_with(
        "apps--billing",
        "first-value",
        Some(now + 60 * 86_400),
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config_path = dir.path().join("tenure.toml");
    std::fs::write(
        &config_path,
        format!(
            r#"[tenure]
state_dir = "state"
reconcile_interval = "1h"

[server]
listen = "127.0.0.1:{port}"
eventgrid_key = {{ file = "eventgrid.key" }}

[defaults]
renew_before = "7d"

[providers.azure]
type = "azure_key_vault"
vault_url = "{url}"

[targets.generated]
type = "generate"

[[records]]
id = "billing"
secrets = "azure:apps/billing"
target = "generated"
owner = "ops@example.com"
purpose = "Billing API key"
approval = {{ by = "ciso@example.com", at = 2026-01-01 }}
"#,
            url = standin.vault_url()
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("eventgrid.key"), KEY).unwrap();
    let config = tenure::config::load(&config_path).unwrap();
    let mut plugins = Plugins::build(&config).unwrap();
    let azure = Arc::new(provider(&standin));
    plugins.insert_provider("azure", Arc::clone(&azure) as Arc<dyn Provider>);
    let app = tenure::app::Builder::new(config)
        .plugins(plugins)
        .open()
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(async move {
        let result = tenure::service::run(&app, async move {
            let _ = stopped.await;
        })
        .await;
        app.shutdown().await;
        result
    });

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        azure
            .read("apps/billing", Stage::Current)
            .await
            .unwrap()
            .expose(),
        "first-value"
    );

    // Someone shortens its life; Key Vault says it is near expiry. (Key
    // Vault stamps versions in whole seconds: write the new one in a later
    // second, so "latest" is unambiguous.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    standin.seed_with("apps--billing", "second-value", Some(now + 86_400), None);
    let vault = VAULT_HOST.split('.').next().unwrap();
    let delivery = json!([{
        "id": "near-1",
        "topic": format!("/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/{vault}"),
        "subject": "apps--billing",
        "eventType": "Microsoft.KeyVault.SecretNearExpiry",
        "eventTime": chrono::Utc::now().to_rfc3339(),
        "data": { "Id": format!("https://{}/secrets/apps--billing/x", VAULT_HOST), "VaultName": vault,
                  "ObjectType": "Secret", "ObjectName": "apps--billing", "Version": "x", "NBF": null, "EXP": now + 86_400 },
        "dataVersion": "1", "metadataVersion": "1"
    }]);
    let r = http
        .post(format!("{base}/v1/eventgrid?key={KEY}"))
        .json(&delivery)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["accepted"], 1, "{body}");

    // Reconciled at once: rotated to a new value with a new expiry.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let current = azure.read("apps/billing", Stage::Current).await.unwrap();
        if current.expose() != "second-value" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not rotated after the event:\n{}",
            std::fs::read_to_string(dir.path().join("state/audit.jsonl")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let trail = std::fs::read_to_string(dir.path().join("state/audit.jsonl")).unwrap();
    assert!(trail.contains("Microsoft.KeyVault.SecretNearExpiry"));
    assert!(trail.contains("\"secret\":\"azure:apps/billing\""));
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), service).await;
}
