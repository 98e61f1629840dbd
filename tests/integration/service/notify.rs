//! Owner notifications from the running service: delivered with retries,
//! never carrying a secret value.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::REPORTS;
use crate::common;
use crate::common::Deadline;
use crate::common::service::{Service, counter};

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
    for (id, kind, data) in [
        (
            "notify-dana",
            "io.tenure.owner.left",
            json!({ "owner": "dana@example.com" }),
        ),
        (
            "notify-review",
            "io.tenure.review.lapsed",
            json!({ "record": "vendor-sftp" }),
        ),
    ] {
        let delivery = format!("msg_{}", id.replace('-', "_"));
        assert_eq!(
            service.send_event(&delivery, id, kind, data).await,
            202,
            "{id}"
        );
    }
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
    let deadline = Deadline::after(Duration::from_secs(15), Duration::from_millis(100));
    loop {
        let bodies = received(&seen);
        if wanted(&bodies) {
            break;
        }
        deadline
            .wait(|| format!("notifications: {bodies:#?}\n{}", service.log()))
            .await;
    }
    // Another pass: each upcoming expiry is told once.
    let r = service
        .admin(Method::POST, "/v1/secrets/local%3Adb%2Forders/rotate")
        .await;
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

/// The bodies `seen` received, in order.
fn received(seen: &common::receiver::Seen) -> Vec<Value> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|(body, _)| body.clone())
        .collect()
}
