//! The stand-in's own behaviour, checked over raw HTTP: what the README
//! claims about it must hold without the SDK's help.

use reqwest::Method;
use serde_json::{Value, json};
use tenure_testkit::azure_standin::{CLIENT_ID, CLIENT_SECRET, StandIn, TENANT};

/// The API version every call names.
const API: &str = "api-version=2025-07-01";

/// Raw calls to the stand-in's vault with a bearer token; each answers with
/// the status and the JSON body (null when there is none).
struct Raw<'a> {
    http: &'a reqwest::Client,
    vault: &'a str,
    bearer: String,
}

impl Raw<'_> {
    async fn call(&self, method: Method, url: String, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, url)
            .header("authorization", &self.bearer);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or_default();
        (status, body)
    }

    /// A call to `<vault>/<path>` with the API version.
    async fn at(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/{path}?{API}", self.vault);
        self.call(method, url, body).await
    }

    /// The secret list, `max` secrets a page.
    async fn list(&self, max: u32) -> (u16, Value) {
        let url = format!("{}/secrets?{API}&maxresults={max}", self.vault);
        self.call(Method::GET, url, None).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.at(Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.at(Method::PUT, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.at(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.at(Method::DELETE, path, None).await
    }
}

/// An error answer: its status and Key Vault's error code.
fn assert_error(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (want_status, Some(code))
    );
}

/// The stand-in's own behaviour, checked over raw HTTP (what the README
/// claims about it must hold without the SDK's help).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_answers_like_the_service() {
    let standin = StandIn::start().await;
    let http = standin.http_client();
    let vault = standin.vault_url();

    // No token: 401 with the challenge the SDK parses.
    let response = http
        .get(format!("{vault}/secrets?{API}"))
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
    let token: Value = http
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
    let raw = Raw {
        http: &http,
        vault: &vault,
        bearer: format!("Bearer {}", token["access_token"].as_str().unwrap()),
    };

    let (status, body) = raw
        .call(Method::GET, format!("{vault}/secrets"), None)
        .await;
    assert_error(status, &body, 400, "BadParameter");

    let (status, body) = raw.put("secrets/bad_name", json!({ "value": "v" })).await;
    assert_error(status, &body, 400, "BadParameter");

    let (status, body) = raw
        .put(
            "secrets/Raw-Check",
            json!({ "value": "v1", "attributes": { "exp": 2_000_000_000 }, "tags": { "a": "b" } }),
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
    let (status, _) = raw
        .patch(
            &format!("secrets/raw-check/{version}"),
            json!({ "attributes": { "enabled": false } }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = raw.get("secrets/raw-check").await;
    assert_error(status, &body, 403, "Forbidden");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled secret")
    );

    let (status, body) = raw.get(&format!("secrets/nope/{version}")).await;
    assert_error(status, &body, 404, "SecretNotFound");

    // Soft delete: the name cannot be reused until recovered or purged.
    let (status, body) = raw.delete("secrets/raw-check").await;
    assert_eq!(status, 200);
    assert!(body["recoveryId"].is_string() && body["scheduledPurgeDate"].is_i64());
    let (status, body) = raw.put("secrets/raw-check", json!({ "value": "v2" })).await;
    assert_error(status, &body, 409, "Conflict");
    let (status, _) = raw.delete("deletedsecrets/raw-check").await;
    assert_eq!(status, 204);
    let (status, _) = raw.put("secrets/raw-check", json!({ "value": "v2" })).await;
    assert_eq!(status, 200);

    // Paging with maxresults and nextLink.
    for i in 0..3 {
        raw.put(&format!("secrets/page-{i}"), json!({ "value": "x" }))
            .await;
    }
    let (status, body) = raw.list(3).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"].as_array().unwrap().len(), 3);
    let next = body["nextLink"].as_str().unwrap().to_owned();
    let (_, body) = raw.call(Method::GET, next, None).await;
    assert_eq!(body["value"].as_array().unwrap().len(), 1);
    assert!(body["nextLink"].is_null());
    let (status, _) = raw.list(26).await;
    assert_eq!(status, 400);
}
