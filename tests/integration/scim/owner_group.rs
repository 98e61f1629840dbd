//! A record's `owner_group`: the identity provider's SCIM group whose
//! members may own it. Taking the owner out of the group makes the record's
//! owner count as having left (the `owner_left` reaction: revoked with
//! proof), for that record only; putting them back lifts it.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::{SCIM_TABLE, SCIM_TOKEN, scim};
use crate::common::service::Service;
use crate::common::{Deadline, Demo};

const REPORTS: &str = "local:demo/reports-token";

async fn post(service: &Service, path: &str, body: Value) -> Value {
    let response = scim(service, Method::POST, path)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

#[tokio::test]
async fn leaving_the_owner_group_counts_as_the_owner_leaving_for_that_record() {
    let demo = Demo::new();
    demo.edit_records(
        "owner = \"dana@example.com\"\npurpose = \"Reporting service token\"",
        "owner = \"dana@example.com\"\nowner_group = \"Reports-Owners\"\npurpose = \"Reporting service token\"",
    );
    let service =
        Service::start_demo_with(demo, SCIM_TABLE, &[("TENURE_SCIM_TOKEN", SCIM_TOKEN)]).await;
    let dana = post(
        &service,
        "/Users",
        json!({ "userName": "dana@example.com" }),
    )
    .await;
    let erin = post(
        &service,
        "/Users",
        json!({ "userName": "erin@example.com" }),
    )
    .await;
    let group = post(
        &service,
        "/Groups",
        json!({ "displayName": "reports-owners", "members": [{ "value": dana["id"] }, { "value": erin["id"] }] }),
    )
    .await;
    service.wait_applied(1).await;
    assert_eq!(service.status_of(REPORTS).await, "active");

    // Dana taken out of the group (Okta's shape): the record's owner left.
    let id = group["id"].as_str().expect("id");
    let remove = json!({ "Operations": [{ "op": "remove", "path": format!("members[value eq \"{}\"]", dana["id"].as_str().expect("id")) }] });
    let response = scim(&service, Method::PATCH, &format!("/Groups/{id}"))
        .json(&remove)
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), 200);
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while service.status_of(REPORTS).await != "revoked" {
        deadline
            .wait(|| format!("not revoked:\n{}", service.log()))
            .await;
    }
    let members: Vec<Value> = service
        .audit_events()
        .into_iter()
        .filter(|e| e["data"]["type"] == "io.tenure.group.members")
        .collect();
    assert_eq!(
        members.last().expect("applied")["data"]["signals"][0]["value"],
        "[\"erin@example.com\"]"
    );
    assert!(service.audit().contains("\"reasons\":[\"owner_left\"]"));
    // Dana herself is still active: only records owned through the group are touched.
    let signals: Vec<Value> = service.admin_json("/v1/signals").await;
    assert!(
        !signals.iter().any(|s| s["key"] == "dana@example.com"),
        "{signals:?}"
    );

    // Back in the group: the finding is lifted (the revocation stays done).
    let add = json!({ "Operations": [{ "op": "add", "path": "members", "value": [{ "value": dana["id"] }] }] });
    let response = scim(&service, Method::PATCH, &format!("/Groups/{id}"))
        .json(&add)
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), 200);
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while service
        .planned(REPORTS)
        .await
        .1
        .contains(&"owner_left".to_owned())
    {
        deadline
            .wait(|| format!("still owner_left:\n{}", service.log()))
            .await;
    }
}
