//! Every refusal is a SCIM error (`status` a string, `scimType` where the
//! RFC defines one, `application/scim+json`) with its status, and changes
//! nothing: a wrong token 401, an unknown id 404, a duplicate userName 409,
//! a bad filter 400, a stale `If-Match` 412; and with no `[scim]` the
//! endpoints are off (404).

use reqwest::Method;
use serde_json::{Value, json};

use super::{SCIM_TOKEN, scim, scim_audit, scim_get, start};
use crate::common::service::Service;

async fn refused(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/scim+json",
        "{status}"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], status.to_string(), "{body}");
    (status, body)
}

#[tokio::test]
async fn every_refusal_is_a_scim_error_and_changes_nothing() {
    let service = start("", &[]).await;
    let user = json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "fay@example.com" });
    let created: Value = scim(&service, Method::POST, "/Users")
        .json(&user)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let before = scim_audit(&service).len();

    // A wrong token, and none: 401 with WWW-Authenticate.
    for token in [Some("wrong-token-0123456789"), None] {
        let mut request = service.http.get(service.url("/scim/v2/Users"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("get");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(refused(response).await.0, 401);
    }
    // The admin token is not the SCIM token.
    let admin = service
        .http
        .get(service.url("/scim/v2/Users"))
        .bearer_auth(crate::common::service::ADMIN_TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(refused(admin).await.0, 401);

    let unknown = scim(&service, Method::GET, "/Users/no-such-id")
        .send()
        .await
        .expect("get");
    assert_eq!(refused(unknown).await.0, 404);

    let duplicate = scim(&service, Method::POST, "/Users")
        .json(&json!({ "userName": "FAY@example.com" }))
        .send()
        .await
        .expect("post");
    let (status, body) = refused(duplicate).await;
    assert_eq!((status, &body["scimType"]), (409, &json!("uniqueness")));

    for filter in ["userName co \"fay\"", "userName eq fay", "title eq \"x\""] {
        let bad = scim_get(&service, "/Users", &[("filter", filter)])
            .send()
            .await
            .expect("get");
        let (status, body) = refused(bad).await;
        assert_eq!(
            (status, &body["scimType"]),
            (400, &json!("invalidFilter")),
            "{filter}"
        );
    }

    let nameless = scim(&service, Method::POST, "/Users")
        .json(&json!({ "active": "sometimes" }))
        .send()
        .await
        .expect("post");
    let (status, body) = refused(nameless).await;
    assert_eq!((status, &body["scimType"]), (400, &json!("invalidValue")));
    let not_json = scim(&service, Method::POST, "/Users")
        .header("content-type", "application/scim+json")
        .body("{")
        .send()
        .await
        .expect("post");
    let (status, body) = refused(not_json).await;
    assert_eq!((status, &body["scimType"]), (400, &json!("invalidSyntax")));

    // ETags: a stale If-Match is 412 on PUT, PATCH and DELETE; the right one passes.
    let off = json!({ "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    for (method, body) in [
        (
            Method::PUT,
            Some(json!({ "userName": "fay@example.com", "active": false })),
        ),
        (Method::PATCH, Some(off.clone())),
        (Method::DELETE, None),
    ] {
        let mut request =
            scim(&service, method.clone(), &format!("/Users/{id}")).header("if-match", "W/\"7\"");
        if let Some(body) = body {
            request = request.json(&body);
        }
        assert_eq!(
            refused(request.send().await.expect("send")).await.0,
            412,
            "{method}"
        );
    }
    assert_eq!(
        scim_audit(&service).len(),
        before,
        "no refusal changed anything"
    );
    let read = scim(&service, Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .expect("get");
    let etag = read.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(etag, "W/\"1\"");
    let patched = scim(&service, Method::PATCH, &format!("/Users/{id}"))
        .header("if-match", &etag)
        .json(&off)
        .send()
        .await
        .expect("patch");
    assert_eq!(patched.status(), 200);
    assert_eq!(patched.headers()["etag"], "W/\"2\"");

    // A conditional GET: 304 for the current version, the resource otherwise.
    for (tags, status) in [("W/\"2\"", 304), ("W/\"1\"", 200), ("*", 304)] {
        let read = scim(&service, Method::GET, &format!("/Users/{id}"))
            .header("if-none-match", tags)
            .send()
            .await
            .expect("get");
        assert_eq!(read.status(), status, "{tags}");
        assert_eq!(read.headers()["etag"], "W/\"2\"");
    }

    // Every discovery entry's meta.location is served, and is that entry.
    for list in ["/ResourceTypes", "/Schemas"] {
        let listed: Value = scim(&service, Method::GET, list)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("JSON");
        for entry in listed["Resources"].as_array().expect("Resources") {
            let location = entry["meta"]["location"].as_str().expect("location");
            let path = location.strip_prefix("/scim/v2").expect("a path");
            let one = scim(&service, Method::GET, path).send().await.expect("get");
            assert_eq!(one.status(), 200, "{location}");
            let one: Value = one.json().await.expect("JSON");
            assert_eq!(one["id"], entry["id"], "{location}");
        }
        let missing = scim(&service, Method::GET, &format!("{list}/Nothing"))
            .send()
            .await
            .expect("get");
        assert_eq!(refused(missing).await.0, 404, "{list}");
    }
}

#[tokio::test]
async fn without_a_scim_section_the_endpoints_are_off() {
    let service = Service::start().await;
    let response = service
        .http
        .get(service.url("/scim/v2/Users"))
        .bearer_auth(SCIM_TOKEN)
        .send()
        .await
        .expect("get");
    let (status, body) = refused(response).await;
    assert_eq!(status, 404);
    assert_eq!(body.get("unknown_route"), None);
}
