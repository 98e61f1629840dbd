//! Operating the running service: exposure rotates, the health, readiness
//! and metrics endpoints answer, SIGTERM exits zero, and TLS is served when
//! a certificate is configured.

use std::time::Duration;

use serde_json::json;

use super::REPORTS;
use crate::common;
use crate::common::Deadline;
use crate::common::service::{Service, counter};

#[tokio::test]
async fn exposure_rotates_and_operations_endpoints_answer_and_sigterm_exits_zero() {
    let mut service = Service::start().await;
    assert_eq!(service.get("/healthz").await.status(), 200);
    let before = service.demo.get("demo/reports-token");
    let exposed = json!({ "secret": REPORTS });
    let status = service
        .send_event(
            "msg_exposed",
            "e-exposed",
            "io.tenure.secret.exposed",
            exposed,
        )
        .await;
    assert_eq!(status, 202);
    service
        .until_changed("demo/reports-token", &before, "not rotated")
        .await;
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
    let public = service.get("/metrics").await.text().await.expect("text");
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
    let deadline = Deadline::after(Duration::from_secs(20), Duration::from_millis(50));
    let code = loop {
        if let Some(status) = service.child.try_wait().expect("wait") {
            break status;
        }
        deadline
            .wait(|| "did not exit after SIGTERM".to_owned())
            .await;
    };
    assert_eq!(code.code(), Some(0), "{}", service.log());
    assert!(service.log().contains("Shutting down"));
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
