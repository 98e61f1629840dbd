//! Events into the running service: the owner-left revocation within a
//! second, every refusal row with its status and counter, and Event Grid
//! (handshake, key, unmatched events).

use std::time::Duration;

use serde_json::{Value, json};
use tenure::events::WebhookKey;

use super::REPORTS;
use crate::common::Deadline;
use crate::common::service::{EVENTGRID_KEY, Service, counter};

#[tokio::test]
async fn owner_left_revokes_within_a_second_and_unsigned_changes_nothing() {
    let service = Service::start().await;
    assert_eq!(service.status_of(REPORTS).await, "active");
    let body = Service::event(
        "evt-dana-left",
        "io.tenure.owner.left",
        json!({ "owner": "dana@example.com" }),
    );

    // Unsigned: 401, and nothing changes.
    let unsigned = service
        .http
        .post(service.url("/v1/events"))
        .header("content-type", "application/cloudevents+json")
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(unsigned.status(), 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(service.status_of(REPORTS).await, "active");
    assert!(service.audit_events().is_empty());

    // Signed: 202, revoked within a second, with its proof in the trail.
    let deadline = Deadline::after(Duration::from_secs(1), Duration::from_millis(20));
    let accepted = service.post_signed("msg_dana_left", body).await;
    assert_eq!(accepted.status(), 202);
    while service.status_of(REPORTS).await != "revoked" {
        deadline
            .wait(|| format!("not revoked within a second:\n{}", service.log()))
            .await;
    }
    let trail = service.audit();
    let proofs: Vec<Value> = service
        .audit_entries("verification")
        .into_iter()
        .filter(|e| e["secret"] == REPORTS)
        .collect();
    let checks: Vec<&str> = proofs
        .iter()
        .filter_map(|e| e["data"]["evidence"]["check"].as_str())
        .collect();
    // The demo's generated token has no acceptor outside the vault: the
    // vault's refusal is the proof, and it says so.
    assert!(!checks.contains(&"credential_refused"), "{checks:?}");
    assert!(checks.contains(&"vault_refuses_read"), "{checks:?}");
    assert!(trail.contains("\"reasons\":[\"owner_left\"]"));
    let events = service.audit_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["type"], "io.tenure.owner.left");
}

#[tokio::test]
async fn every_refusal_has_its_status_is_counted_and_changes_nothing() {
    let service = Service::start().await;
    let before = service.secrets().await;
    let owner_left = |id: &str| {
        Service::event(
            id,
            "io.tenure.owner.left",
            json!({ "owner": "dana@example.com" }),
        )
    };
    let now = chrono::Utc::now().timestamp();

    // Bad JSON, correctly signed: 400.
    let r = service
        .post_signed("msg_bad_json", b"{\"specversion\":".to_vec())
        .await;
    assert_eq!(r.status(), 400);
    // A CloudEvent without an id: 400.
    let no_id = serde_json::to_vec(
        &json!({"specversion":"1.0","source":"/t","type":"io.tenure.owner.left"}),
    )
    .expect("json");
    assert_eq!(service.post_signed("msg_no_id", no_id).await.status(), 400);
    // Missing signature headers: 401.
    let r = service
        .http
        .post(service.url("/v1/events"))
        .header("content-type", "application/cloudevents+json")
        .header("webhook-id", "msg_unsigned")
        .body(owner_left("e-unsigned"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    // Signed wrongly: 401. (delivery, when it claims to be signed, by
    // which key, whether the body changes after signing)
    let other = WebhookKey::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("key");
    for (delivery, at, key, tampered) in [
        // A signature by another key.
        ("msg_forged", now, &other, false),
        // A body changed after signing.
        ("msg_tampered", now, &service.key, true),
        // Outside the 5-minute window.
        ("msg_stale", now - 6 * 60, &service.key, false),
    ] {
        let id = delivery.replace("msg_", "e-");
        let body = owner_left(&id);
        let signature = key.sign(delivery, at, &body);
        let sent = if tampered {
            owner_left(&format!("{id}2"))
        } else {
            body
        };
        let answer = service.post_with(delivery, at, &signature, sent).await;
        assert_eq!(answer.status(), 401, "{delivery}");
    }
    for (delivery, id, kind, data, status) in [
        // Over the body limit (64 KiB in the example): 413.
        (
            "msg_huge",
            "e-huge",
            "io.tenure.owner.left",
            json!({ "owner": "x".repeat(70_000) }),
            413,
        ),
        // Unknown type: 422.
        (
            "msg_unknown",
            "e-unknown",
            "com.example.unknown",
            json!({}),
            422,
        ),
        // Known type with the wrong data: 422.
        (
            "msg_wrong",
            "e-wrong",
            "io.tenure.owner.left",
            json!({ "who": "dana" }),
            422,
        ),
    ] {
        assert_eq!(
            service.send_event(delivery, id, kind, data).await,
            status,
            "{delivery}"
        );
    }
    // Not a CloudEvent content type: 415.
    let r = service
        .http
        .post(service.url("/v1/events"))
        .header("content-type", "text/plain")
        .header("webhook-id", "msg_text")
        .header("webhook-timestamp", now.to_string())
        .header(
            "webhook-signature",
            service.key.sign("msg_text", now, b"hello"),
        )
        .body("hello")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);

    // A harmless accepted event, then its replays: 409, by delivery and by event id.
    let review = Service::event(
        "e-review",
        "io.tenure.review.completed",
        json!({ "record": "reports-token", "reviewer": "rita@example.com", "decision": "keep" }),
    );
    for (delivery, status) in [
        ("msg_review", 202),
        ("msg_review", 409),
        ("msg_review_again", 409),
    ] {
        let answer = service.post_signed(delivery, review.clone()).await;
        assert_eq!(answer.status(), status, "{delivery}");
    }

    // Binary mode is refused (415) and stores nothing: the signature covers
    // the body, not the ce-* headers that would carry the type, id and source.
    let data = br#"{"workload":"no-such-workload"}"#.to_vec();
    let signature = service.key.sign("msg_binary", now, &data);
    let r = service
        .http
        .post(service.url("/v1/events"))
        .header("content-type", "application/json")
        .header("ce-specversion", "1.0")
        .header("ce-id", "e-binary")
        .header("ce-source", "/tests/cmdb")
        .header("ce-type", "io.tenure.workload.moved")
        .header("webhook-id", "msg_binary")
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", signature)
        .body(data)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    let message = r.text().await.expect("body");
    assert!(
        message.contains("application/cloudevents+json"),
        "{message}"
    );

    // Only the one accepted event was applied; no secret changed.
    let applied = service.wait_applied(1).await;
    assert_eq!(applied, vec!["webhook:/tests/hr e-review"]);
    let statuses = |rows: &[Value]| -> Vec<(String, String)> {
        rows.iter()
            .map(|r| (r["secret"].to_string(), r["status"].to_string()))
            .collect()
    };
    assert_eq!(statuses(&service.secrets().await), statuses(&before));

    let metrics = service.metrics().await;
    for (outcome, count) in [
        ("accepted", 1),
        ("malformed", 2),
        ("unauthorized", 4),
        ("too_large", 1),
        ("unknown_type", 1),
        ("invalid_data", 1),
        ("unsupported_media_type", 2),
        ("replay", 2),
    ] {
        let line = format!("tenure_events_total{{source=\"webhook\",outcome=\"{outcome}\"}}");
        assert_eq!(counter(&metrics, &line), count, "{outcome}:\n{metrics}");
    }
}

#[tokio::test]
async fn event_grid_handshake_key_and_unmatched_events() {
    let service = Service::start_with("eventgrid_key = { env = \"TENURE_EVENTGRID_KEY\" }").await;
    let url = |key: &str| service.url(&format!("/v1/eventgrid?key={key}"));
    let handshake = json!([{
        "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
        "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/demo",
        "subject": "",
        "data": { "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2026-11-25T18:41:00Z",
        "metadataVersion": "1",
        "dataVersion": "1"
    }]);
    let post = async |key: &str, body: &Value| {
        let request = service.http.post(url(key)).json(body);
        request.send().await.expect("post")
    };
    assert_eq!(post("wrong-key-0123456789", &handshake).await.status(), 401);
    let r = post(EVENTGRID_KEY, &handshake).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body["validationResponse"],
        "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
    );

    // A Key Vault event for a vault no provider manages is acknowledged, not stored.
    let near_expiry = json!([{
        "id": "e1", "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/elsewhere",
        "subject": "db", "eventType": "Microsoft.KeyVault.SecretNearExpiry", "eventTime": "2026-11-25T18:41:00Z",
        "data": { "Id": "https://elsewhere.vault.azure.net/secrets/db/1", "VaultName": "elsewhere",
                  "ObjectType": "Secret", "ObjectName": "db", "Version": "1", "NBF": null, "EXP": 1790000000 },
        "dataVersion": "1", "metadataVersion": "1"
    }]);
    let r = post(EVENTGRID_KEY, &near_expiry).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["unmatched"], 1);
    assert_eq!(body["accepted"], 0);
    let r = service
        .http
        .post(url(EVENTGRID_KEY))
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(service.audit_events().is_empty());
    let metrics = service.metrics().await;
    for outcome in ["validation", "unauthorized", "unmatched"] {
        let line = format!("tenure_events_total{{source=\"eventgrid\",outcome=\"{outcome}\"}}");
        assert_eq!(counter(&metrics, &line), 1, "{outcome}:\n{metrics}");
    }
}
