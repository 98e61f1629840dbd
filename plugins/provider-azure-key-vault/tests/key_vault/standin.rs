//! The stand-in's own behaviour, checked over raw HTTP: what the README
//! claims about it must hold without the SDK's help.

use tenure_testkit::azure_standin::{CLIENT_ID, CLIENT_SECRET, StandIn, TENANT};

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
