//! The admin API of the running service: the token, its actions, concurrent
//! actions on one secret, and signals undone by events and by the API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::REPORTS;
use crate::common;
use crate::common::Deadline;
use crate::common::service::{ADMIN_TOKEN, Service};

#[tokio::test]
async fn admin_api_needs_the_token_and_acts() {
    let service = Service::start().await;
    assert_eq!(service.get("/v1/secrets").await.status(), 401);
    let wrong = service
        .http
        .get(service.url("/v1/secrets"))
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

    let plan: Vec<Value> = service.admin_json("/v1/plan").await;
    assert!(
        plan.iter()
            .any(|e| e["secret"] == REPORTS && e["decision"] == "compliant")
    );

    let before = service.demo.get("demo/reports-token");
    let rotate = async |address: &str| {
        let path = format!("/v1/secrets/{address}/rotate");
        service.admin(Method::POST, &path).await
    };
    let r = rotate("local%3Ademo%2Freports-token").await;
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

    assert_eq!(rotate("local%3Ano%2Fsuch").await.status(), 404);
    assert_eq!(rotate("no-provider").await.status(), 400);
    let revoke = "/v1/secrets/local%3Adb%2Forders/revoke";
    let unauthorized = service
        .http
        .post(service.url(revoke))
        .send()
        .await
        .expect("revoke");
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(service.status_of("local:db/orders").await, "active");

    let r = service.admin(Method::POST, revoke).await;
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
            service.admin(
                Method::POST,
                "/v1/secrets/local%3Ademo%2Freports-token/rotate",
            )
        });
        for response in futures_util::future::join_all(requests).await {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_can_be_undone_by_events_and_by_the_admin_api() {
    let demo = common::Demo::new();
    demo.edit_records(
        "owner = \"dana@example.com\"\n",
        "owner = \"dana@example.com\"\non_owner_left = \"escalate\"\non_workload_decommissioned = \"escalate\"\n",
    );
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
        let status = service.send_event(&format!("d-{id}"), id, kind, data).await;
        assert_eq!(status, 202, "{kind}");
        applied += 1;
        service.wait_applied(applied).await;
        let reason = if kind.contains("owner") {
            "owner_left"
        } else {
            "workload_decommissioned"
        };
        // The plan takes the signal up once the pass that applied the event
        // refreshed it: wait for that, not for a fixed time.
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        loop {
            let reasons = reasons_now().await;
            if reasons.contains(&reason.to_owned()) == present {
                break;
            }
            deadline
                .wait(|| format!("after {kind}: {reasons:?}\n{}", service.log()))
                .await;
        }
    }

    // owner.left again; then the admin removes the signal instead.
    let status = service
        .send_event(
            "d-s5",
            "s5",
            "io.tenure.owner.left",
            json!({"owner": "dana@example.com"}),
        )
        .await;
    assert_eq!(status, 202);
    service.wait_applied(applied + 1).await;
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while !reasons_now().await.contains(&"owner_left".to_owned()) {
        deadline
            .wait(|| format!("owner.left again not planned:\n{}", service.log()))
            .await;
    }
    let listed: Vec<Value> = service.admin_json("/v1/signals").await;
    let signal = listed
        .iter()
        .find(|s| s["kind"] == "owner_status" && s["key"] == "dana@example.com")
        .unwrap_or_else(|| panic!("no signal for dana: {listed:?}"));
    assert_eq!(signal["value"], "left");
    assert_eq!(signal["id"], "owner_status:dana@example.com");
    let url = service.url("/v1/signals/owner_status%3Adana%40example.com");
    let delete = |auth: Option<&'static str>, url: String| {
        let mut request = service.http.delete(url);
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("delete").status().as_u16() }
    };
    assert_eq!(delete(None, url.clone()).await, 401);
    assert_eq!(
        delete(Some(ADMIN_TOKEN), service.url("/v1/signals/not-a-signal")).await,
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
    let removed = service.audit_entries("signal_removed");
    assert_eq!(removed.len(), 1, "{}", service.audit());
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
