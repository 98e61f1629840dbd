//! Access reviews into the running service: `POST /v1/reviews` keeps the
//! record's lineage (shown by the plan and the audit trail) and sets the
//! next review date; a replay and every bad review are refused and change
//! nothing; a `revoke` decision revokes, with its reason in the trail.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::REPORTS;
use crate::common::Deadline;
use crate::common::service::Service;

/// Posts a review as the admin; the status and body of the answer.
async fn review(service: &Service, body: Value) -> (u16, Value) {
    let answer = service
        .admin_request(Method::POST, "/v1/reviews")
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The plan line of `secret`.
async fn plan_line(service: &Service, secret: &str) -> Value {
    let plan: Vec<Value> = service.admin_json("/v1/plan").await;
    plan.into_iter()
        .find(|e| e["secret"] == secret)
        .unwrap_or_else(|| panic!("{secret} not in the plan"))
}

#[tokio::test]
async fn a_review_keeps_the_lineage_and_a_revoke_decision_revokes() {
    let service = Service::start().await;
    let before = plan_line(&service, REPORTS).await;
    assert_eq!(before["approval"]["by"], "ciso@example.com", "{before}");
    assert_eq!(before["approval"]["ticket"], "SEC-210", "{before}");
    assert!(before.get("last_review").is_none(), "{before}");

    // Refusals first: each changes nothing.
    let keep = json!({
        "record": "reports-token",
        "reviewer": "rita@example.com",
        "decision": "keep",
        "next_review": "2099-03-01T00:00:00Z",
        "reviewed_at": "2026-11-30T10:00:00Z",
        "ticket": "GRC-7",
    });
    let unauthenticated = service
        .http
        .post(service.url("/v1/reviews"))
        .json(&keep)
        .send()
        .await
        .expect("post");
    assert_eq!(unauthenticated.status(), 401);
    let edit = |field: &str, value: Value| {
        let mut body = keep.clone();
        body[field] = value;
        body
    };
    for (why, body, status) in [
        (
            "unknown record",
            edit("record", json!("no-such-record")),
            404,
        ),
        ("unknown decision", edit("decision", json!("approve")), 422),
        (
            "narrow without scopes",
            edit("decision", json!("narrow")),
            422,
        ),
        ("scopes on a keep", edit("scopes", json!(["x"])), 422),
        (
            "next review before the review",
            edit("next_review", json!("2026-11-01T00:00:00Z")),
            422,
        ),
        ("no reviewer", edit("reviewer", json!(" ")), 422),
        ("not a review", json!({ "record": "reports-token" }), 400),
    ] {
        let (got, answer) = review(&service, body).await;
        assert_eq!(got, status, "{why}: {answer}");
        assert!(answer["error"].is_string(), "{why}: {answer}");
    }
    assert!(
        service.audit_events().is_empty(),
        "a refusal stored an event"
    );

    // A keep: the lineage shows it, and its date is the next review.
    let (status, answer) = review(&service, keep.clone()).await;
    assert_eq!(status, 202, "{answer}");
    let (replay, _) = review(&service, keep).await;
    assert_eq!(replay, 409, "the same review again");
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    let line = loop {
        let line = plan_line(&service, REPORTS).await;
        if line.get("last_review").is_some() {
            break line;
        }
        deadline
            .wait(|| format!("the review never showed:\n{}", service.log()))
            .await;
    };
    assert_eq!(
        line["last_review"]["reviewer"], "rita@example.com",
        "{line}"
    );
    assert_eq!(line["last_review"]["decision"], "keep", "{line}");
    assert_eq!(line["last_review"]["ticket"], "GRC-7", "{line}");
    // Who handed it over is the authenticated operator, never the body's word.
    assert_eq!(line["last_review"]["submitted_by"], "admin", "{line}");
    assert_eq!(line["review_by"], "2099-03-01T00:00:00Z", "{line}");
    assert_eq!(line["approval"]["by"], "ciso@example.com", "{line}");
    assert_eq!(service.status_of(REPORTS).await, "active");

    // A revoke: revoked, for that reason, with the review in the trail.
    let (status, answer) = review(
        &service,
        json!({
            "record": "reports-token",
            "reviewer": "rita@example.com",
            "decision": "revoke",
            "reviewed_at": "2026-11-30T11:00:00Z",
        }),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while service.status_of(REPORTS).await != "revoked" {
        deadline
            .wait(|| format!("not revoked:\n{}", service.log()))
            .await;
    }
    let trail = service.audit();
    assert!(
        trail.contains("\"reasons\":[\"review_revoked\"]"),
        "{trail}"
    );
    let reviews: Vec<Value> = service
        .audit_events()
        .into_iter()
        .filter(|e| e["data"]["type"] == "io.tenure.review.completed")
        .collect();
    assert_eq!(reviews.len(), 2, "{reviews:?}");
    let decided: Vec<Value> = service
        .audit_entries("decision")
        .into_iter()
        .filter(|e| e["secret"] == REPORTS && e["data"]["decision"] == "revoke")
        .collect();
    let lineage = &decided.first().expect("a revoke decision")["data"]["lineage"];
    assert_eq!(lineage["last_review"]["decision"], "revoke", "{lineage}");
    assert_eq!(lineage["approval"]["ticket"], "SEC-210", "{lineage}");
}
