//! Nobody decides: the service asks for approval of the demo's decided
//! revoke (a decommissioned workload's password), the request expires after
//! `approvals.ttl`, the password is never revoked, and the decision, still
//! standing, is asked for again. The owner who left bypasses approval. The
//! owner is told of the request (with the link to decide it) and of its expiry.

use std::time::Duration;

use serde_json::Value;

use super::{approval_entries, approvals_table};
use crate::common::service::Service;
use crate::common::{Deadline, Demo, edit_file};

const FTP: &str = "local:legacy/ftp-password";

#[tokio::test]
async fn an_undecided_request_expires_and_nothing_is_revoked() {
    let demo = Demo::new();
    // A pass every second, so the expiry is seen soon after the ttl.
    edit_file(
        &demo.config.with_file_name("examples/service.toml"),
        "reconcile_interval = \"5m\"",
        "reconcile_interval = \"1s\"",
    );
    let (url, seen) = crate::common::receiver::webhook_receiver(Duration::ZERO).await;
    let tables = format!(
        "{}api_url = \"https://tenure.example.com\"\n\n[notify]\nurl = {{ env = \"TENURE_TEST_NOTIFY_URL\" }}\n",
        approvals_table("2s")
    );
    let service =
        Service::start_demo_with(demo, &tables, &[("TENURE_TEST_NOTIFY_URL", url.as_str())]).await;

    let deadline = Deadline::after(Duration::from_secs(30), Duration::from_millis(200));
    loop {
        let approvals: Vec<Value> = service.admin_json("/v1/approvals").await;
        let ftp: Vec<&Value> = approvals.iter().filter(|a| a["subject"] == FTP).collect();
        if ftp.iter().any(|a| a["status"] == "expired")
            && ftp.iter().any(|a| a["status"] == "pending")
        {
            break;
        }
        deadline
            .wait(|| {
                format!(
                    "no expiry and new request: {approvals:?}\n{}",
                    service.log()
                )
            })
            .await;
    }
    assert_ne!(
        service.status_of(FTP).await,
        "revoked",
        "revoked without approval"
    );
    assert_eq!(
        service.status_of("local:api/payments-token").await,
        "revoked",
        "owner_left bypasses"
    );
    let entries: Vec<String> = approval_entries(&service.audit())
        .into_iter()
        .filter(|e| e.1 == FTP)
        .map(|e| e.0)
        .collect();
    assert_eq!(
        entries[..3],
        ["requested", "expired", "requested"],
        "{entries:?}"
    );

    // Told: the request with its reasons and link, then its expiry.
    let deadline = Deadline::after(Duration::from_secs(15), Duration::from_millis(100));
    loop {
        let bodies: Vec<Value> = seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, accepted)| *accepted)
            .map(|(body, _)| body.clone())
            .filter(|b| b["secret"] == FTP)
            .collect();
        let asked = bodies.iter().find(|b| b["kind"] == "approval_requested");
        let expired = bodies.iter().any(|b| {
            b["kind"] == "escalation"
                && b["detail"].as_str().is_some_and(|d| d.ends_with("expired"))
        });
        if let Some(asked) = asked
            && expired
        {
            let text = asked["text"].as_str().expect("text");
            assert!(
                text.starts_with("Tenure: the revoke of local:legacy/ftp-password waits for an approver (workload_decommissioned): asked by tenure, until "),
                "{text}"
            );
            assert!(
                text.contains("; approve or reject at https://tenure.example.com/v1/approvals/"),
                "{text}"
            );
            assert_eq!(asked["owner"], "carol@example.com", "{asked}");
            break;
        }
        deadline.wait(|| format!("not told: {bodies:?}")).await;
    }
}
