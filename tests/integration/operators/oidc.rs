//! OIDC bearer tokens against the running service: the JWK Set from a
//! file and from a local HTTP server; a valid JWT is accepted with the role
//! its claim names (and the actor named in the audit trail), and an
//! expired, wrongly signed, wrong-audience or wrong-issuer one is refused.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::jwt::{AUDIENCE, ISSUER, JwksServer, Signer, claims, jwks};
use super::{NO_SIGNAL, REPORTS, actors, start};

/// `[server.oidc]` with the key set at `jwks`.
fn oidc_table(jwks: &str) -> String {
    format!(
        "[server.oidc]\nissuer = {ISSUER:?}\naudience = {AUDIENCE:?}\njwks = {jwks}\nrole_claim = \"roles\"\n"
    )
}

#[tokio::test]
async fn jwts_are_checked_against_a_key_set_file_and_carry_their_role() {
    let key = Signer::ec("ec-1");
    let stranger = Signer::ec("ec-1");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[&key]).to_string()).expect("write jwks");
    let table = oidc_table(&format!("{{ file = {:?} }}", file.display().to_string()));
    let service = start(&table).await;

    // A viewer reads and may not act; an operator (the highest of its roles) acts.
    let viewer = key.sign(&claims("dana@example.com", json!("viewer"), 300));
    let (status, body) = service.call(Method::GET, "/v1/secrets", &viewer).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = service.call(Method::POST, REPORTS, &viewer).await;
    assert_eq!(status, 403, "{body}");
    let operator = key.sign(&claims(
        "erin@example.com",
        json!(["tenure-users", "viewer", "operator"]),
        300,
    ));
    let (status, body) = service.call(Method::POST, REPORTS, &operator).await;
    assert_eq!(
        (status, &body["outcome"]),
        (200, &json!("promoted")),
        "{body}"
    );
    let (status, body) = service.call(Method::DELETE, NO_SIGNAL, &operator).await;
    assert_eq!(status, 404, "past the guard: {body}");
    let actors = actors(&service.audit());
    assert_eq!(
        actors,
        [json!({"name": "erin@example.com", "role": "operator", "via": "oidc"})]
    );

    // Valid, but no known role: 403.
    let nobody = key.sign(&claims("finn@example.com", json!(["staff"]), 300));
    let (status, body) = service.call(Method::GET, "/v1/secrets", &nobody).await;
    assert_eq!(status, 403, "{body}");

    // Each of these proves nothing: 401 with `WWW-Authenticate: Bearer`.
    let mut wrong_audience = claims("g@example.com", json!("admin"), 300);
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims("g@example.com", json!("admin"), 300);
    wrong_issuer["iss"] = json!("https://evil.test.invalid");
    let mut not_yet = claims("g@example.com", json!("admin"), 600);
    not_yet["nbf"] = json!(chrono::Utc::now().timestamp() + 300);
    let refused = [
        (
            "expired",
            key.sign(&claims("g@example.com", json!("admin"), -120)),
        ),
        (
            "wrongly signed",
            stranger.sign(&claims("g@example.com", json!("admin"), 300)),
        ),
        (
            "unknown key",
            key.sign_as("ec-9", &claims("g@example.com", json!("admin"), 300)),
        ),
        ("wrong audience", key.sign(&wrong_audience)),
        ("wrong issuer", key.sign(&wrong_issuer)),
        ("not yet valid", key.sign(&not_yet)),
        (
            "unsigned",
            unsigned(&claims("g@example.com", json!("admin"), 300)),
        ),
    ];
    for (what, token) in refused {
        let response = service
            .http
            .get(service.url("/v1/secrets"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), 401, "{what}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
        let body: Value = response.json().await.expect("json");
        let why = body["error"].as_str().unwrap_or_default();
        assert!(!why.contains(&token), "{what}: the token is echoed");
        println!("{what}: {why}");
    }
}

/// `alg: none`.
fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let part = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(v).expect("json"))
    };
    format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT"})),
        part(claims)
    )
}

#[tokio::test]
async fn a_key_set_url_is_fetched_cached_and_fetched_again_for_a_new_key() {
    let first = Signer::rsa("rsa-1");
    let second = Signer::rsa("rsa-2");
    let server = JwksServer::start(jwks(&[&first])).await;
    let service = start(&oidc_table(&format!("{{ url = {:?} }}", server.url))).await;
    let admin = |key: &Signer| key.sign(&claims("hana@example.com", json!(["admin"]), 300));

    // Fetched on first use, then cached.
    for _ in 0..3 {
        let (status, body) = service
            .call(Method::GET, "/v1/signals", &admin(&first))
            .await;
        assert_eq!(status, 200, "{body}\n{}", service.log());
    }
    assert_eq!(server.fetches(), 1);

    // The provider publishes a new key: unknown at once (fetches for
    // unknown keys are rate-limited), known after the limit passes.
    *server.set.lock().expect("lock") = jwks(&[&first, &second]);
    let (status, _) = service
        .call(Method::GET, "/v1/signals", &admin(&second))
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        server.fetches(),
        1,
        "an unknown key right after a fetch waits"
    );
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let (status, body) = service
        .call(Method::GET, "/v1/signals", &admin(&second))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.fetches(), 2);
    for kid in ["rsa-7", "rsa-8", "rsa-9"] {
        let token = second.sign_as(kid, &claims("hana@example.com", json!(["admin"]), 300));
        let (status, _) = service.call(Method::GET, "/v1/signals", &token).await;
        assert_eq!(status, 401, "{kid}");
    }
    assert_eq!(
        server.fetches(),
        2,
        "unknown keys do not hammer the provider"
    );
}
