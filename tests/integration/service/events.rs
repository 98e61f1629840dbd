//! Events into the running service: the owner-left revocation within a
//! second, every refusal row with its status and counter, and Event Grid
//! (handshake, key, unmatched events).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenure::events::WebhookKey;

use super::REPORTS;
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
        .post(format!("{}/v1/events", service.base))
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
    let started = Instant::now();
    let accepted = service.post_signed("msg_dana_left", body).await;
    assert_eq!(accepted.status(), 202);
    loop {
        if service.status_of(REPORTS).await == "revoked" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not revoked within a second:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let trail = service.audit();
    let proofs: Vec<Value> = trail
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["secret"] == REPORTS && e["kind"] == "verification")
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
        .post(format!("{}/v1/events", service.base))
        .header("content-type", "application/cloudevents+json")
        .header("webhook-id", "msg_unsigned")
        .body(owner_left("e-unsigned"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    // A signature by another key: 401.
    let other = WebhookKey::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").expect("key");
    let body = owner_left("e-forged");
    let forged = other.sign("msg_forged", now, &body);
    assert_eq!(
        service
            .post_with("msg_forged", now, &forged, body)
            .await
            .status(),
        401
    );
    // A body changed after signing: 401.
    let body = owner_left("e-tampered");
    let signature = service.key.sign("msg_tampered", now, &body);
    let tampered = owner_left("e-tampered2");
    assert_eq!(
        service
            .post_with("msg_tampered", now, &signature, tampered)
            .await
            .status(),
        401
    );
    // Outside the 5-minute window: 401.
    let old = now - 6 * 60;
    let body = owner_left("e-stale");
    let signature = service.key.sign("msg_stale", old, &body);
    assert_eq!(
        service
            .post_with("msg_stale", old, &signature, body)
            .await
            .status(),
        401
    );
    // Over the body limit (64 KiB in the example): 413.
    let huge = Service::event(
        "e-huge",
        "io.tenure.owner.left",
        json!({ "owner": "x".repeat(70_000) }),
    );
    assert_eq!(service.post_signed("msg_huge", huge).await.status(), 413);
    // Unknown type: 422. Known type with the wrong data: 422.
    let unknown = Service::event("e-unknown", "com.example.unknown", json!({}));
    assert_eq!(
        service.post_signed("msg_unknown", unknown).await.status(),
        422
    );
    let wrong = Service::event("e-wrong", "io.tenure.owner.left", json!({ "who": "dana" }));
    assert_eq!(service.post_signed("msg_wrong", wrong).await.status(), 422);
    // Not a CloudEvent content type: 415.
    let r = service
        .http
        .post(format!("{}/v1/events", service.base))
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
        json!({ "record": "reports-token" }),
    );
    assert_eq!(
        service
            .post_signed("msg_review", review.clone())
            .await
            .status(),
        202
    );
    assert_eq!(
        service
            .post_signed("msg_review", review.clone())
            .await
            .status(),
        409
    );
    assert_eq!(
        service
            .post_signed("msg_review_again", review)
            .await
            .status(),
        409
    );

    // Binary mode is refused (415) and stores nothing: the signature covers
    // the body, not the ce-* headers that would carry the type, id and source.
    let data = br#"{"workload":"no-such-workload"}"#.to_vec();
    let signature = service.key.sign("msg_binary", now, &data);
    let r = service
        .http
        .post(format!("{}/v1/events", service.base))
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
    let url = |key: &str| format!("{}/v1/eventgrid?key={key}", service.base);
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
    let r = service
        .http
        .post(url("wrong-key-0123456789"))
        .json(&handshake)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let r = service
        .http
        .post(url(EVENTGRID_KEY))
        .json(&handshake)
        .send()
        .await
        .expect("post");
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
    let r = service
        .http
        .post(url(EVENTGRID_KEY))
        .json(&near_expiry)
        .send()
        .await
        .expect("post");
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
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"eventgrid\",outcome=\"validation\"}"
        ),
        1
    );
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"eventgrid\",outcome=\"unauthorized\"}"
        ),
        1
    );
    assert_eq!(
        counter(
            &metrics,
            "tenure_events_total{source=\"eventgrid\",outcome=\"unmatched\"}"
        ),
        1
    );
}
