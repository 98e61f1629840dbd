//! Login methods, token renewal and TLS against real OpenBao dev servers
//! (TENURE_TEST_VAULT_* and TENURE_TEST_VAULT_TLS_*, set by scripts/services).
//!
//! The Kubernetes test runs a small stand-in of the Kubernetes TokenReview
//! API on 127.0.0.1, which OpenBao's kubernetes auth method calls to check
//! the service-account JWT, as it would call a real API server.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{config, dev_address, provider_with, root, root_token};
use tenure_plugin_api::{Catalog, ErrorKind, Reads, SecretSource, Stage};
use tenure_provider_vault::{VaultAuth, VaultProvider};
use tenure_testkit::provider_steps::{put, read_text};
use tenure_testkit::{bao, service_url, unique_name};
use vaultrs::api::auth::approle::requests::SetAppRoleRequest;
use vaultrs::api::auth::kubernetes::requests::{
    ConfigureKubernetesAuthRequest, CreateKubernetesRoleRequest,
};
use vaultrs::client::VaultClient;

const POLICY: &str =
    r#"path "secret/*" { capabilities = ["create", "read", "update", "patch", "delete", "list"] }"#;

/// Enables an auth method (already enabled is fine) and the KV policy.
async fn prepare(root: &VaultClient, path: &str, kind: &str) {
    if let Err(e) = vaultrs::sys::auth::enable(root, path, kind, None).await {
        assert!(
            format!("{e:?}").contains("already in use"),
            "enable {kind}: {e}"
        );
    }
    vaultrs::sys::policy::set(root, "tenure-kv", POLICY)
        .await
        .expect("policy");
}

fn file(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).expect("write");
    path
}

/// The role id of `role` of the AppRole method at `approle-tenure`.
async fn role_id(root: &VaultClient, role: &str) -> String {
    vaultrs::auth::approle::role::read_id(root, "approle-tenure", role)
        .await
        .expect("role id")
        .role_id
}

/// A provider logging in through `approle-tenure` with `role_id` and
/// `secret_id`, each from a file in `dir`.
fn approle_provider(dir: &tempfile::TempDir, role_id: &str, secret_id: &str) -> VaultProvider {
    provider_with(VaultAuth::AppRole {
        mount: "approle-tenure".into(),
        role_id: SecretSource::File(file(dir, "role-id", role_id)),
        secret_id: Some(SecretSource::File(file(dir, "secret-id", secret_id))),
    })
}

/// Writes and reads a secret through `provider`.
async fn round_trip(provider: &VaultProvider, path: &str, text: &str) {
    put(provider, path, text).await;
    assert_eq!(read_text(provider, path, Stage::Current).await, text);
}

#[tokio::test]
async fn approle_logs_in_renews_its_token_and_logs_in_again_at_max_ttl() {
    let Some(root) = root() else { return };
    prepare(&root, "approle-tenure", "approle").await;
    vaultrs::auth::approle::role::set(
        &root,
        "approle-tenure",
        "tenure",
        Some(
            SetAppRoleRequest::builder()
                .token_ttl("3s")
                .token_max_ttl("7s")
                .token_policies(vec!["default".into(), "tenure-kv".into()]),
        ),
    )
    .await
    .expect("role");
    let role_id = role_id(&root, "tenure").await;
    let secret_id =
        vaultrs::auth::approle::role::secret::generate(&root, "approle-tenure", "tenure", None)
            .await
            .expect("secret id")
            .secret_id;
    let dir = tempfile::tempdir().expect("dir");
    let provider = approle_provider(&dir, &role_id, &secret_id);
    let path = format!("{}/app", unique_name("approle"));
    // 9 s of work with a 3 s token that lives at most 7 s: without renewal
    // and a second login, calls would fail after 3 s and after 7 s.
    for i in 0..18 {
        round_trip(&provider, &path, &format!("v{i}")).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stats = provider.session_stats();
    assert!(stats.renewals >= 1, "no renewal: {stats:?}");
    assert!(stats.logins >= 2, "no second login at max TTL: {stats:?}");
}

#[tokio::test]
async fn a_wrong_approle_secret_id_is_unauthorized() {
    let Some(root) = root() else { return };
    prepare(&root, "approle-tenure", "approle").await;
    vaultrs::auth::approle::role::set(&root, "approle-tenure", "tenure-bad", None)
        .await
        .expect("role");
    let role_id = role_id(&root, "tenure-bad").await;
    let dir = tempfile::tempdir().expect("dir");
    let provider = approle_provider(&dir, &role_id, "00000000-0000-0000-0000-000000000000");
    let err = provider
        .list()
        .await
        .expect_err("a wrong secret id logs in");
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
}

/// A stand-in of the Kubernetes TokenReview API: accepts exactly `jwt` and
/// answers with the service account's identity, as the API server does.
async fn token_review_server(jwt: String, reviews: Arc<AtomicU32>) -> String {
    use axum::Json;
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/apis/authentication.k8s.io/v1/tokenreviews",
        post(move |Json(review): Json<serde_json::Value>| {
            let jwt = jwt.clone();
            let reviews = Arc::clone(&reviews);
            async move {
                reviews.fetch_add(1, Ordering::SeqCst);
                let token = review["spec"]["token"].as_str().unwrap_or_default();
                // The API server echoes the audiences it checked the token against.
                let audiences = review["spec"]["audiences"].clone();
                let status = if token == jwt {
                    serde_json::json!({
                        "authenticated": true,
                        "audiences": audiences,
                        "user": {
                            "username": "system:serviceaccount:ops:tenure",
                            "uid": "8d5d2c7e-5b1f-4bd4-9d3b-3c1e2f0a9b11",
                            "groups": ["system:serviceaccounts", "system:serviceaccounts:ops"],
                        },
                    })
                } else {
                    serde_json::json!({ "authenticated": false, "error": "invalid bearer token" })
                };
                Json(serde_json::json!({
                    "apiVersion": "authentication.k8s.io/v1",
                    "kind": "TokenReview",
                    "status": status,
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// A projected service-account token's shape (the stand-in API server, not
/// OpenBao, checks it, as with a real cluster).
fn service_account_jwt() -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"tenure-test"}"#);
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": "https://kubernetes.default.svc.cluster.local",
        "sub": "system:serviceaccount:ops:tenure",
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "kubernetes.io": {
            "namespace": "ops",
            "serviceaccount": { "name": "tenure", "uid": "8d5d2c7e-5b1f-4bd4-9d3b-3c1e2f0a9b11" },
        },
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode([7u8; 256]);
    format!("{header}.{claims}.{signature}")
}

#[tokio::test]
async fn kubernetes_auth_logs_in_with_the_service_account_jwt_file() {
    let Some(root) = root() else { return };
    let jwt = service_account_jwt();
    let reviews = Arc::new(AtomicU32::new(0));
    let api_server = token_review_server(jwt.clone(), Arc::clone(&reviews)).await;
    let mount = unique_name("k8s");
    prepare(&root, &mount, "kubernetes").await;
    // Outside a pod OpenBao has no local CA file; it wants a CA with
    // disable_local_ca_jwt. The stand-in speaks plain HTTP, so any valid
    // certificate serves: the TLS test server's generated CA.
    let ca = std::env::var("TENURE_TEST_VAULT_TLS_CA").expect("TENURE_TEST_VAULT_TLS_CA");
    let ca = std::fs::read_to_string(ca).expect("CA");
    vaultrs::auth::kubernetes::configure(
        &root,
        &mount,
        &api_server,
        Some(
            ConfigureKubernetesAuthRequest::builder()
                .disable_local_ca_jwt(true)
                .kubernetes_ca_cert(ca),
        ),
    )
    .await
    .expect("configure");
    vaultrs::auth::kubernetes::role::create(
        &root,
        &mount,
        "tenure",
        Some(
            CreateKubernetesRoleRequest::builder()
                .bound_service_account_names(vec!["tenure".into()])
                .bound_service_account_namespaces(vec!["ops".into()])
                .token_policies(vec!["default".into(), "tenure-kv".into()])
                .token_ttl("1h"),
        ),
    )
    .await
    .expect("role");
    let dir = tempfile::tempdir().expect("dir");
    let auth = |role: &str, jwt_file: PathBuf| VaultAuth::Kubernetes {
        mount: mount.clone(),
        role: role.into(),
        jwt_file,
    };
    let provider = provider_with(auth("tenure", file(&dir, "token", &jwt)));
    round_trip(&provider, &format!("{}/app", unique_name("k8s")), "ok").await;
    assert!(
        reviews.load(Ordering::SeqCst) >= 1,
        "OpenBao never asked the API server"
    );

    // A JWT the API server does not accept is refused.
    let forged = provider_with(auth("tenure", file(&dir, "forged", &format!("{jwt}x"))));
    let err = forged.list().await.expect_err("a forged JWT logs in");
    assert_eq!(err.kind(), ErrorKind::Unauthorized, "{err}");
}

#[tokio::test]
async fn tls_is_verified_against_the_configured_ca_file() {
    let Some(address) = service_url("TENURE_TEST_VAULT_TLS_ADDR") else {
        return;
    };
    assert!(address.starts_with("https://"), "{address}");
    let ca = std::env::var("TENURE_TEST_VAULT_TLS_CA").expect("TENURE_TEST_VAULT_TLS_CA");
    let auth = || VaultAuth::Token {
        token: SecretSource::Env("TENURE_TEST_VAULT_TLS_TOKEN".into()),
    };
    let address = || SecretSource::Env("TENURE_TEST_VAULT_TLS_ADDR".into());
    let mut trusted = config(address(), auth());
    trusted.ca_file = Some(PathBuf::from(ca));
    let provider = VaultProvider::new("vault", trusted);
    round_trip(
        &provider,
        &format!("{}/app", unique_name("tls")),
        "over tls",
    )
    .await;

    // Without the CA the server's certificate is not trusted: no request is made.
    let untrusted = VaultProvider::new("vault", config(address(), auth()));
    let err = untrusted
        .list()
        .await
        .expect_err("an untrusted certificate");
    let message = err.to_string();
    assert!(
        message.to_lowercase().contains("certificate") || message.contains("error sending request"),
        "{message}"
    );
}

#[tokio::test]
async fn a_namespace_scopes_every_request() {
    if service_url("TENURE_TEST_VAULT_ADDR").is_none() {
        return;
    }
    let namespace = unique_name("ns");
    // OpenBao has namespaces too; vaultrs has no namespace API, so the CLI makes one.
    bao(&["namespace", "create", &namespace]);
    bao(&[
        "secrets",
        "enable",
        &format!("-namespace={namespace}"),
        "-path=secret",
        "kv-v2",
    ]);
    let mut scoped = config(dev_address(), root_token());
    scoped.namespace = Some(namespace.clone());
    let provider = VaultProvider::new("vault", scoped);
    let path = format!("{}/app", unique_name("in-ns"));
    round_trip(&provider, &path, "namespaced").await;
    // The same path at the root namespace does not exist.
    let root_view = common::provider();
    let err = root_view
        .read(&path, Stage::Current)
        .await
        .expect_err("visible outside its namespace");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
