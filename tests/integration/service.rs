//! The running service, black-box: `config/examples/service.toml` on the
//! demo, driven over HTTP. Events (every refusal row, the owner-left
//! revocation within a second, exposure, a burst), the admin API, health,
//! readiness, metrics and SIGTERM.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenure::events::WebhookKey;

use crate::common;
use crate::common::service::{ADMIN_TOKEN, EVENTGRID_KEY, Service, counter};

const REPORTS: &str = "local:demo/reports-token";

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
async fn admin_api_needs_the_token_and_acts() {
    let service = Service::start().await;
    let url = format!("{}/v1/secrets", service.base);
    assert_eq!(
        service.http.get(&url).send().await.expect("get").status(),
        401
    );
    let wrong = service
        .http
        .get(&url)
        .bearer_auth("not-the-token-at-all")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 401);

    let rows = service.secrets().await;
    for row in &rows {
        for key in [
            "secret",
            "status",
            "decision",
            "next_due",
            "last_rotated",
            "last_attested",
            "attestation",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    let reports = rows.iter().find(|r| r["secret"] == REPORTS).expect("row");
    assert_eq!(reports["attestation"], "ok", "{reports}");
    assert!(reports["last_attested"].is_string(), "{reports}");
    assert!(
        rows.iter()
            .any(|r| r["secret"] == "local:api/payments-token" && r["status"] == "revoked")
    );

    let plan: Vec<Value> = service
        .http
        .get(format!("{}/v1/plan", service.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("plan")
        .json()
        .await
        .expect("json");
    assert!(
        plan.iter()
            .any(|e| e["secret"] == REPORTS && e["decision"] == "compliant")
    );

    let before = service.demo.get("demo/reports-token");
    let rotate = |address: &str| {
        service
            .http
            .post(format!("{}/v1/secrets/{address}/rotate", service.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    let r = rotate("local%3Ademo%2Freports-token")
        .await
        .expect("rotate");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["outcome"], "promoted");
    assert_ne!(service.demo.get("demo/reports-token"), before);
    let row = service
        .secrets()
        .await
        .into_iter()
        .find(|r| r["secret"] == REPORTS)
        .expect("row");
    assert!(row["last_rotated"].is_string(), "{row}");

    assert_eq!(
        rotate("local%3Ano%2Fsuch").await.expect("rotate").status(),
        404
    );
    assert_eq!(rotate("no-provider").await.expect("rotate").status(), 400);
    let unauthorized = service
        .http
        .post(format!(
            "{}/v1/secrets/local%3Adb%2Forders/revoke",
            service.base
        ))
        .send()
        .await
        .expect("revoke");
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(service.status_of("local:db/orders").await, "active");

    let r = service
        .http
        .post(format!(
            "{}/v1/secrets/local%3Adb%2Forders/revoke",
            service.base
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 200);
    assert_eq!(service.status_of("local:db/orders").await, "revoked");
}

/// Found by scripts/schemathesis: concurrent actions on one secret drove
/// the same run at once (the store's lease is per process) and answered 500
/// "changed by another writer", failing the service loop's pass too.
#[tokio::test]
async fn concurrent_actions_on_one_secret_are_busy_not_errors() {
    let service = Service::start().await;
    let mut promoted = 0;
    for _ in 0..2 {
        let requests = (0..8).map(|_| {
            service
                .http
                .post(format!(
                    "{}/v1/secrets/local%3Ademo%2Freports-token/rotate",
                    service.base
                ))
                .bearer_auth(ADMIN_TOKEN)
                .send()
        });
        for response in futures_util::future::join_all(requests).await {
            let response = response.expect("rotate");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json");
            match status {
                200 => {
                    assert_eq!(body["outcome"], "promoted", "{body}");
                    promoted += 1;
                }
                409 => assert_eq!(body["outcome"], "busy", "{body}"),
                other => panic!("{other}: {body}\n{}", service.log()),
            }
        }
    }
    // Each operator rotation that ran started one run; a busy one none.
    let started = service
        .audit()
        .lines()
        .filter(|l| l.contains("\"kind\":\"run_started\"") && l.contains("operator_request"))
        .count();
    assert!(promoted >= 2, "{}", service.log());
    assert_eq!(started, promoted, "{}", service.audit());
    let log = service.log();
    assert!(!log.contains("changed by another writer"), "{log}");
    assert!(!log.contains("Reconcile pass failed"), "{log}");
}

#[tokio::test]
async fn exposure_rotates_and_operations_endpoints_answer_and_sigterm_exits_zero() {
    let mut service = Service::start().await;
    assert_eq!(
        service
            .http
            .get(format!("{}/healthz", service.base))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );
    let before = service.demo.get("demo/reports-token");
    let exposed = Service::event(
        "e-exposed",
        "io.tenure.secret.exposed",
        json!({ "secret": REPORTS }),
    );
    assert_eq!(
        service.post_signed("msg_exposed", exposed).await.status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while service.demo.get("demo/reports-token") == before {
        assert!(Instant::now() < deadline, "not rotated:\n{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(service.audit().contains("\"secret_exposed\""));
    // Rotated once: the new version postdates the exposure.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rotated = service.demo.get("demo/reports-token");
    assert_eq!(service.status_of(REPORTS).await, "active");

    let metrics = service.metrics().await;
    for family in [
        "tenure_actions_total{action=\"rotate\",result=\"promoted\"}",
        "tenure_decisions_total{decision=\"compliant\"}",
        "tenure_events_total{source=\"webhook\",outcome=\"accepted\"}",
        "tenure_secret_expiry_timestamp_seconds{secret=\"local:demo/reports-token\"}",
        "tenure_phase_duration_seconds_count{action=\"rotate\",phase=\"promote\"}",
        "tenure_event_to_enforcement_seconds_count",
        "tenure_secret_last_attested_timestamp_seconds{secret=\"local:demo/reports-token\"}",
        "tenure_attestations_total{result=\"ok\"}",
    ] {
        assert!(counter(&metrics, family) > 0, "{family}:\n{metrics}");
    }
    // Without a token, the aggregates only: no secret's address.
    let public = service
        .http
        .get(format!("{}/metrics", service.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(public.contains("tenure_attestations_total"), "{public}");
    assert!(
        !public.contains("secret=\""),
        "an address reached a public scrape:\n{public}"
    );
    assert!(!public.contains("local:"), "{public}");
    assert_eq!(service.demo.get("demo/reports-token"), rotated);

    // SIGTERM: intake stops, the process exits 0.
    let pid = service.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = service.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code.code(), Some(0), "{}", service.log());
    assert!(service.log().contains("Shutting down"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_are_notified_with_retries_and_never_see_a_value() {
    let (url, seen) = common::receiver::webhook_receiver(Duration::ZERO).await;
    let service = Service::start_full(
        "",
        "[notify]\nurl = { env = \"TENURE_TEST_NOTIFY_URL\" }\nupcoming_within = \"3650d\"\nmax_attempts = 4\n\n[[records]]\nid = \"ghost\"\nsecrets = \"local:ghost/*\"\ntarget = \"generated\"\nowner = \"erin@example.com\"\npurpose = \"approved access that does not exist\"\napproval = { by = \"ciso@example.com\", at = 2026-01-01 }\n",
        &[("TENURE_TEST_NOTIFY_URL", url.as_str())],
    )
    .await;
    // The first pass revoked payments-token (its owner left) and found every
    // live secret expiring within the window; events revoke reports-token and
    // escalate vendor-sftp (its review lapsed).
    let left = Service::event(
        "notify-dana",
        "io.tenure.owner.left",
        json!({ "owner": "dana@example.com" }),
    );
    assert_eq!(
        service.post_signed("msg_notify_dana", left).await.status(),
        202
    );
    let lapsed = Service::event(
        "notify-review",
        "io.tenure.review.lapsed",
        json!({ "record": "vendor-sftp" }),
    );
    assert_eq!(
        service
            .post_signed("msg_notify_review", lapsed)
            .await
            .status(),
        202
    );
    let wanted = |bodies: &[Value]| {
        bodies
            .iter()
            .any(|b| b["kind"] == "revocation" && b["secret"] == REPORTS)
            && bodies
                .iter()
                .any(|b| b["kind"] == "revocation" && b["secret"] == "local:api/payments-token")
            && bodies.iter().any(|b| {
                b["kind"] == "escalation"
                    && b["secret"] == "local:vendor/sftp-key"
                    && b["owner"] == "erin@example.com"
            })
            && bodies.iter().any(|b| b["kind"] == "expiry_upcoming")
            && bodies.iter().any(|b| {
                b["kind"] == "escalation"
                    && b["record"] == "ghost"
                    && b["owner"] == "erin@example.com"
                    && b["reasons"] == json!(["dangling_record"])
            })
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let bodies = received(&seen);
        if wanted(&bodies) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "notifications: {bodies:#?}\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Another pass: each upcoming expiry is told once.
    let r = service
        .http
        .post(format!(
            "{}/v1/secrets/local%3Adb%2Forders/rotate",
            service.base
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("rotate");
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bodies = received(&seen);

    let revocation = bodies
        .iter()
        .find(|b| b["kind"] == "revocation" && b["secret"] == "local:api/payments-token")
        .expect("revocation");
    assert_eq!(revocation["owner"], "bob@example.com");
    assert_eq!(revocation["reasons"], json!(["owner_left"]));
    assert!(
        revocation["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Tenure: local:api/payments-token was revoked"))
    );
    // The first delivery got a 500 and was retried: it arrived twice.
    assert_eq!(bodies[0], bodies[1]);
    let mut expiries: Vec<(String, String)> = bodies
        .iter()
        .filter(|b| b["kind"] == "expiry_upcoming")
        .map(|b| (b["secret"].to_string(), b["detail"].to_string()))
        .collect();
    let total = expiries.len();
    expiries.sort();
    expiries.dedup();
    assert_eq!(
        total,
        expiries.len() + usize::from(bodies[0]["kind"] == "expiry_upcoming"),
        "{expiries:?}"
    );

    // No value reached a notification: not the live ones, and no
    // generated-looking token at all.
    let text = serde_json::to_string(&bodies).expect("json");
    for row in service.secrets().await {
        if row["status"] == "active" {
            let path = row["secret"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("local:");
            let value = service.demo.get(path);
            assert!(
                !text.contains(&value),
                "a value of {path} reached a notification"
            );
        }
    }
    let longest_token = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(
        longest_token < 32,
        "a value-like token reached a notification"
    );
    let metrics = service.metrics().await;
    assert!(
        counter(
            &metrics,
            "tenure_notifications_total{kind=\"revocation\",result=\"delivered\"}"
        ) >= 2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_is_served_over_tls_when_a_certificate_is_configured() {
    let demo = common::Demo::new();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("certificate");
    let cert_pem = certified.cert.pem();
    let dir = demo.dir.path().to_path_buf();
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    std::fs::write(&cert, &cert_pem).expect("cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key");
    let service = Service::start_tls(demo, &cert, &key, &cert_pem).await;
    assert!(service.base.starts_with("https://"));
    assert_eq!(service.secrets().await.len(), 6);
    // Plain HTTP to the same port gets no answer.
    let plain = service.base.replace("https://", "http://");
    let refused = reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(refused.map(|r| !r.status().is_success()).unwrap_or(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_updated_reloads_the_files_and_keeps_the_last_good_ones() {
    let service = Service::start().await;
    let records = service
        .demo
        .config
        .with_file_name("../governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    // A broken file is refused; the running governance stays.
    std::fs::write(&records, format!("{text}\n[[records]]\nid = \"broken\"\n")).expect("write");
    let reload = |id: &str| Service::event(id, "io.tenure.governance.updated", Value::Null);
    assert_eq!(
        service
            .post_signed("msg_reload_bad", reload("reload-bad"))
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !service.log().contains("Governance reload refused") {
        assert!(Instant::now() < deadline, "{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(service.status_of(REPORTS).await, "active");
    // A good change applies: reports-token (5 days old) now has a 1-day max age.
    let shorter = text.replacen(
        "secrets = \"local:demo/reports-token\"\ntarget = \"generated\"\nowner = \"dana@example.com\"\npurpose = \"Reporting service token\"\nworkloads = [\"reports\"]\nmax_age = \"30d\"\nrenew_before = \"3d\"",
        "secrets = \"local:demo/reports-token\"\ntarget = \"generated\"\nowner = \"dana@example.com\"\npurpose = \"Reporting service token\"\nworkloads = [\"reports\"]\nmax_age = \"1d\"\nrenew_before = \"1h\"",
        1,
    );
    assert_ne!(shorter, text);
    std::fs::write(&records, shorter).expect("write");
    let before = service.demo.get("demo/reports-token");
    assert_eq!(
        service
            .post_signed("msg_reload_good", reload("reload-good"))
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while service.demo.get("demo/reports-token") == before {
        assert!(
            Instant::now() < deadline,
            "not rotated after the reload:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(service.log().contains("Reloaded governance"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_added_by_a_governance_reload_gets_its_cron_trigger() {
    let service = Service::start().await;
    let records = service
        .demo
        .config
        .with_file_name("../governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    let scheduled = text.replacen(
        "secrets = \"local:demo/reports-token\"",
        "secrets = \"local:demo/reports-token\"\nschedule = \"0 3 * * *\"",
        1,
    );
    assert_ne!(scheduled, text);
    std::fs::write(&records, scheduled).expect("write");
    let reload = Service::event("reload-cron", "io.tenure.governance.updated", Value::Null);
    assert_eq!(
        service
            .post_signed("msg_reload_cron", reload)
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !service
        .log()
        .contains("Cron triggers follow the reloaded governance")
    {
        assert!(Instant::now() < deadline, "{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_can_be_undone_by_events_and_by_the_admin_api() {
    let demo = common::Demo::new();
    let records = demo.config.with_file_name("governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    let text = text.replace(
        "owner = \"dana@example.com\"\n",
        "owner = \"dana@example.com\"\non_owner_left = \"escalate\"\non_workload_decommissioned = \"escalate\"\n",
    );
    std::fs::write(&records, text).expect("write records");
    let service = Service::start_demo(demo).await;
    let reasons_now = || async { service.planned(REPORTS).await.1 };
    assert!(!reasons_now().await.contains(&"owner_left".to_owned()));

    // owner.left, then owner.returned: the reason comes and goes.
    let mut applied = 0;
    for (id, kind, data, present) in [
        (
            "s1",
            "io.tenure.owner.left",
            json!({"owner": "dana@example.com"}),
            true,
        ),
        (
            "s2",
            "io.tenure.owner.returned",
            json!({"owner": "dana@example.com"}),
            false,
        ),
        (
            "s3",
            "io.tenure.workload.decommissioned",
            json!({"workload": "reports"}),
            true,
        ),
        (
            "s4",
            "io.tenure.workload.restored",
            json!({"workload": "reports"}),
            false,
        ),
    ] {
        let response = service
            .post_signed(&format!("d-{id}"), Service::event(id, kind, data))
            .await;
        assert_eq!(response.status(), 202, "{kind}");
        applied += 1;
        service.wait_applied(applied).await;
        let reason = if kind.contains("owner") {
            "owner_left"
        } else {
            "workload_decommissioned"
        };
        let reasons = reasons_now().await;
        assert_eq!(
            reasons.contains(&reason.to_owned()),
            present,
            "after {kind}: {reasons:?}"
        );
    }

    // owner.left again; then the admin removes the signal instead.
    let response = service
        .post_signed(
            "d-s5",
            Service::event(
                "s5",
                "io.tenure.owner.left",
                json!({"owner": "dana@example.com"}),
            ),
        )
        .await;
    assert_eq!(response.status(), 202);
    service.wait_applied(applied + 1).await;
    assert!(reasons_now().await.contains(&"owner_left".to_owned()));
    let listed: Vec<Value> = service
        .http
        .get(format!("{}/v1/signals", service.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let signal = listed
        .iter()
        .find(|s| s["kind"] == "owner_status" && s["key"] == "dana@example.com")
        .unwrap_or_else(|| panic!("no signal for dana: {listed:?}"));
    assert_eq!(signal["value"], "left");
    assert_eq!(signal["id"], "owner_status:dana@example.com");
    let url = format!(
        "{}/v1/signals/owner_status%3Adana%40example.com",
        service.base
    );
    let delete = |auth: Option<&'static str>, url: String| {
        let mut request = service.http.delete(url);
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("delete").status().as_u16() }
    };
    assert_eq!(delete(None, url.clone()).await, 401);
    assert_eq!(
        delete(
            Some(ADMIN_TOKEN),
            format!("{}/v1/signals/not-a-signal", service.base)
        )
        .await,
        400
    );
    assert!(
        reasons_now().await.contains(&"owner_left".to_owned()),
        "a refused delete changes nothing"
    );
    assert_eq!(delete(Some(ADMIN_TOKEN), url.clone()).await, 200);
    assert_eq!(delete(Some(ADMIN_TOKEN), url).await, 404);
    assert!(!reasons_now().await.contains(&"owner_left".to_owned()));

    // Each undo is in the audit trail, and the trail verifies.
    let audit = service.audit();
    let removed: Vec<Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "signal_removed")
        .collect();
    assert_eq!(removed.len(), 1, "{audit}");
    assert_eq!(removed[0]["data"]["signal"]["value"], "left");
    assert_eq!(
        removed[0]["data"]["signal"]["event"],
        "webhook:/tests/hr s5"
    );
    let returned = service
        .audit_events()
        .into_iter()
        .find(|e| e["data"]["type"] == "io.tenure.owner.returned")
        .expect("owner.returned audited");
    assert_eq!(returned["data"]["signals"][0]["value"], "active");
    let verify = service.demo.run(&["audit", "verify"]);
    assert!(verify.status.success(), "{}", common::stderr(&verify));
}

/// The bodies `seen` received, in order.
fn received(seen: &common::receiver::Seen) -> Vec<Value> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|(body, _)| body.clone())
        .collect()
}
