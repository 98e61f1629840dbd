//! `GET /v1/openapi.json` against the running service: the document is a
//! structurally sound OpenAPI 3.1 document, it describes exactly the
//! router's table, and one real request per operation gets a status (and,
//! for JSON, a body) that the document allows for it (the SCIM routes with
//! `[scim]` on), never the fallback's unknown-route 404 or a 405.

mod structure;
mod validator;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::common::service::{ADMIN_TOKEN, EVENTGRID_KEY, Service};
use crate::scim::SCIM_TOKEN;
use structure::{check_structure, operations};
use validator::{deref, validate};

/// One real request for the operation.
fn request(service: &Service, method: &str, path: &str) -> reqwest::RequestBuilder {
    let url = |p: &str| service.url(p);
    let admin = |builder: reqwest::RequestBuilder| builder.bearer_auth(ADMIN_TOKEN);
    match (method, path) {
        ("POST", "/v1/events") => {
            let body = Service::event(
                "evt-openapi",
                "io.tenure.governance.updated",
                Value::Null,
            );
            let now = chrono::Utc::now().timestamp();
            let signature = service.key.sign("msg_openapi", now, &body);
            service.signed_request("msg_openapi", now, &signature, body)
        }
        ("POST", "/v1/eventgrid") => service
            .http
            .post(format!("{}?key={EVENTGRID_KEY}", url(path)))
            .json(&json!([{
                "id": "openapi-handshake",
                "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/demo",
                "subject": "",
                "data": { "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
                "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                "eventTime": "2026-11-25T18:41:00Z",
                "dataVersion": "1"
            }])),
        ("GET", "/v1/secrets" | "/v1/plan" | "/v1/signals") => admin(service.http.get(url(path))),
        ("POST", "/v1/secrets/{address}/rotate") => admin(
            service
                .http
                .post(url("/v1/secrets/local%3Ademo%2Freports-token/rotate")),
        ),
        ("GET", "/v1/secrets/{address}/evidence") => admin(
            service
                .http
                .get(url("/v1/secrets/local%3Aapi%2Fpayments-token/evidence")),
        ),
        ("POST", "/v1/secrets/{address}/revoke") => admin(
            service
                .http
                .post(url("/v1/secrets/local%3Atmp%2Fforgotten-key/revoke")),
        ),
        ("POST", "/v1/reviews") => admin(service.http.post(url(path)).json(&json!({
            "record": "reports-token",
            "reviewer": "rita@example.com",
            "decision": "keep",
            "next_review": "2099-01-01T00:00:00Z",
            "reviewed_at": "2026-11-30T10:00:00Z",
        }))),
        ("DELETE", "/v1/signals/{id}") => admin(
            service
                .http
                .delete(url("/v1/signals/owner_status%3Anobody%40example.com")),
        ),
        ("GET", "/v1/approvals") => admin(service.http.get(url("/v1/approvals?status=pending"))),
        // An unknown request: the documented 404.
        ("GET", "/v1/approvals/{id}") => admin(service.http.get(url("/v1/approvals/no-such-id"))),
        ("POST", "/v1/approvals/{id}/approve" | "/v1/approvals/{id}/reject") => admin(
            service
                .http
                .post(url(&path.replace("{id}", "no-such-id"))),
        ),
        ("GET", "/metrics") => admin(service.http.get(url(path))),
        ("GET", "/healthz" | "/readyz" | "/v1/openapi.json") => service.http.get(url(path)),
        (method, path) if path.starts_with("/scim/v2/") => {
            let scim = |builder: reqwest::RequestBuilder| builder.bearer_auth(SCIM_TOKEN);
            // An unknown id: the documented 404, as a SCIM error.
            let path = path.replace("{id}", "no-such-id");
            let body = match (method, path.as_str()) {
                ("POST", "/scim/v2/Users") => Some(json!({ "userName": "openapi@example.com" })),
                ("POST", "/scim/v2/Groups") => Some(json!({ "displayName": "openapi" })),
                ("PATCH", _) => Some(json!({ "Operations": [{ "op": "replace", "path": "active", "value": false }] })),
                ("PUT", _) => Some(json!({ "userName": "x", "displayName": "x" })),
                _ => None,
            };
            let builder = service.http.request(method.parse().expect("method"), url(&path));
            match body {
                Some(body) => scim(builder.json(&body)),
                None => scim(builder),
            }
        }
        _ => panic!("the test has no request for {method} {path}: add one"),
    }
}

#[tokio::test]
async fn the_document_matches_the_router_and_every_operation_answers_as_documented() {
    let service = Service::start_full(
        "eventgrid_key = { env = \"TENURE_EVENTGRID_KEY\" }",
        "[scim]\ntoken = { env = \"TENURE_SCIM_TOKEN\" }\n",
        &[("TENURE_SCIM_TOKEN", SCIM_TOKEN)],
    )
    .await;
    let response = service.get("/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{:?}",
        response.headers()
    );
    let document: Value = response.json().await.expect("json");
    check_structure(&document);

    // Exactly the router's table.
    let documented: BTreeSet<(String, String)> = operations(&document).into_keys().collect();
    // The web console's `/ui` routes are left out by prefix: they serve
    // HTML pages to a browser with a session cookie, not the JSON API this
    // document describes (tests/integration/console/ tests them).
    let served: BTreeSet<(String, String)> = tenure::server::routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/ui"))
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    assert_eq!(documented, served);

    // The fallback's 404 is recognisable, and a known path with another
    // method is a 405: the two answers no documented operation may give.
    let unknown = service.get("/v1/no-such-route").await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("json");
    assert_eq!(body["unknown_route"], true, "{body}");
    let wrong_method = service
        .http
        .delete(service.url("/healthz"))
        .send()
        .await
        .expect("delete");
    assert_eq!(wrong_method.status(), 405);

    // One real request per operation.
    let mut seen = Vec::new();
    for ((method, path), operation) in operations(&document) {
        let op = format!("{method} {path}");
        let response = request(&service, &method, &path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"));
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let text = response.text().await.expect("body");
        assert_ne!(status, 405, "{op}: method not allowed");
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        assert!(
            !parsed
                .as_ref()
                .is_some_and(|body| body["unknown_route"] == true),
            "{op}: no route served it: {text}"
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{op}: answered {status}, which the document does not list: {text}"
        );
        let documented = deref(&document, documented);
        if let Some(content) = documented.get("content").and_then(Value::as_object) {
            let media = media.unwrap_or_else(|| panic!("{op} {status}: no content-type"));
            let schema = &content
                .get(&media)
                .unwrap_or_else(|| panic!("{op} {status}: {media} is not documented"))["schema"];
            if media.ends_with("json") {
                let body = parsed.unwrap_or_else(|| panic!("{op} {status}: not JSON: {text}"));
                if let Err(err) = validate(&document, schema, &body, "") {
                    panic!("{op} {status}: the body does not fit the document: {err}");
                }
            }
        }
        seen.push(format!("{op} -> {status}"));
    }
    println!("{}", seen.join("\n"));
    // The requests above reached their handlers (not only their refusals).
    for expected in [
        "POST /v1/events -> 202",
        "POST /v1/eventgrid -> 200",
        "GET /v1/secrets -> 200",
        "GET /v1/plan -> 200",
        "GET /v1/secrets/{address}/evidence -> 200",
        "GET /v1/signals -> 200",
        "DELETE /v1/signals/{id} -> 404",
        "GET /healthz -> 200",
        "GET /readyz -> 200",
        "GET /metrics -> 200",
        "GET /v1/openapi.json -> 200",
        "POST /scim/v2/Users -> 201",
        "POST /scim/v2/Groups -> 201",
        "GET /scim/v2/Users -> 200",
        "GET /scim/v2/Users/{id} -> 404",
        "GET /scim/v2/ServiceProviderConfig -> 200",
        "GET /scim/v2/Schemas -> 200",
        "GET /scim/v2/ResourceTypes -> 200",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
}
