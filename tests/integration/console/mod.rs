//! The web console in a real browser (headless Chromium over WebDriver)
//! against the running demo service, with `[approvals] require =
//! ["revoke"]` so the demo's `local:legacy/ftp-password` revoke waits for
//! an approver: sign in, the six secrets with their decisions, a secret's
//! timeline, orphans, the audit trail's verification, approving the
//! pending revoke (which then runs), signing out; and the refusals:
//! no session (303 to sign-in), no or a wrong CSRF token (403), a viewer
//! (no button; a forged POST is 403), each changing nothing. Screenshots
//! of every page go to `target/console-screenshots/`.

mod browser;
mod http;

use std::time::Duration;

use serde_json::Value;

use crate::common::Deadline;
use crate::common::service::Service;
use browser::Browser;
use http::{http_sign_in, post_form, raw_get};

const APPROVER: (&str, &str) = ("TENURE_APPROVER_TOKEN", "approver-token-0123456789");
const VIEWER: (&str, &str) = ("TENURE_VIEWER_TOKEN", "viewer-token-0123456789");
const PENDING: &str = "local:legacy/ftp-password";

/// The demo service with revokes waiting for approval, an approver (april)
/// and a viewer (vera); once the demo's revoke waits, its request's id.
async fn service() -> (Service, String) {
    let tables = format!(
        "[approvals]\nrequire = [\"revoke\"]\n\n[[server.operators]]\nname = \"april\"\nrole = \"approver\"\ntoken = {{ env = \"{}\" }}\n\n[[server.operators]]\nname = \"vera\"\nrole = \"viewer\"\ntoken = {{ env = \"{}\" }}\n",
        APPROVER.0, VIEWER.0
    );
    let service = Service::start_full("", &tables, &[APPROVER, VIEWER]).await;
    let deadline = Deadline::after(Duration::from_secs(15), Duration::from_millis(100));
    loop {
        let id = service
            .secrets()
            .await
            .into_iter()
            .find(|s| s["secret"] == PENDING && s["status"] == "pending_approval")
            .and_then(|row| row["approval"].as_str().map(str::to_owned));
        if let Some(id) = id {
            return (service, id);
        }
        deadline
            .wait(|| format!("the revoke never waited:\n{}", service.log()))
            .await;
    }
}

/// The status of approval request `id`, through the admin API.
async fn approval_status(service: &Service, id: &str) -> String {
    let body: Value = service.admin_json(&format!("/v1/approvals/{id}")).await;
    body["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_approver_signs_in_reads_each_page_approves_the_pending_revoke_and_signs_out() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let (service, id) = service().await;
    let base = service.base.clone();

    // No session: every page sends the browser to the sign-in page.
    browser.goto(&format!("{base}/ui/secrets")).await;
    assert_eq!(browser.path().await, "/ui/signin");
    browser.screenshot("signin").await;
    browser.sign_in(&base, APPROVER.1).await;
    let overview = browser.text().await;
    for expected in [
        "Overview",
        "6\nsecrets",
        "1\npending approvals",
        "By status",
        "By decision",
        "Time to revoke",
        "Upcoming due dates",
    ] {
        assert!(
            overview.contains(expected),
            "{expected:?} not in:\n{overview}"
        );
    }
    assert!(browser.count("svg.chart").await >= 4);
    browser.screenshot("overview").await;

    // The six secrets, each with the decision the API gives it.
    browser.goto(&format!("{base}/ui/secrets")).await;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("main table tr"))
        .await
        .expect("rows");
    let mut texts = Vec::new();
    for row in rows.iter().skip(1) {
        texts.push(row.text().await.expect("text"));
    }
    let api = service.secrets().await;
    assert_eq!(texts.len(), 6, "{texts:?}");
    assert_eq!(api.len(), 6);
    for secret in &api {
        let (address, decision) = (
            secret["secret"].as_str().expect("secret"),
            secret["decision"].as_str().expect("decision"),
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with(address) && t.contains(decision)),
            "{address} {decision} not in {texts:?}"
        );
    }
    browser.screenshot("secrets").await;

    // The search narrows the list; its link opens the secret's page.
    browser
        .goto(&format!("{base}/ui/secrets?q=ftp+revoke"))
        .await;
    assert_eq!(browser.count("main table tr").await, 2);
    browser
        .click_to("main table a", "/ui/secrets/local%3Alegacy%2Fftp-password")
        .await;
    let page = browser.text().await;
    for expected in [
        "ftp-bridge",
        "it-ops@example.com",
        "Decided revoke (workload_decommissioned)",
        "Approval of revoke requested by tenure",
        "Attested:",
        "Approve",
    ] {
        assert!(page.contains(expected), "{expected:?} not in:\n{page}");
    }
    browser.screenshot("secret").await;

    browser.goto(&format!("{base}/ui/orphans")).await;
    let orphans = browser.text().await;
    assert!(orphans.contains("local:tmp/forgotten-key"), "{orphans}");
    browser.screenshot("orphans").await;

    browser.goto(&format!("{base}/ui/audit")).await;
    let audit = browser.text().await;
    assert!(audit.contains("The chain holds"), "{audit}");
    assert!(
        audit.contains("signed entries verified with key"),
        "{audit}"
    );
    browser.screenshot("audit").await;

    // The approve form with its CSRF field removed is refused: nothing changes.
    browser.goto(&format!("{base}/ui/approvals")).await;
    browser.screenshot("approvals").await;
    browser
        .client
        .execute(
            "document.querySelector('form[action$=\"/approve\"] input[name=csrf]').remove()",
            vec![],
        )
        .await
        .expect("remove the token");
    browser
        .click_to(
            "form[action$=\"/approve\"] button",
            &format!("/ui/approvals/{id}/approve"),
        )
        .await;
    assert!(browser.text().await.contains("Form refused"));
    assert_eq!(approval_status(&service, &id).await, "pending");

    // Approved with it: the revoke runs at once.
    browser.goto(&format!("{base}/ui/approvals")).await;
    browser.click("form[action$=\"/approve\"] button").await;
    browser
        .wait_text(&format!(
            "Approved the revoke of {PENDING}; the revoke ran: succeeded."
        ))
        .await;
    assert_eq!(browser.path().await, "/ui/approvals");
    browser.screenshot("approved").await;
    assert_ne!(approval_status(&service, &id).await, "pending");
    assert_eq!(
        service.status_of(PENDING).await,
        "revoked",
        "{}",
        service.log()
    );
    let approvals = crate::approvals::approval_entries(&service.audit());
    assert!(
        approvals.contains(&(
            "approved".to_owned(),
            PENDING.to_owned(),
            Some("april".to_owned())
        )),
        "{approvals:?}"
    );

    // Signed out: the session is gone on the server too.
    browser.click_to("form.signout button", "/ui/signin").await;
    browser.goto(&format!("{base}/ui/")).await;
    assert_eq!(browser.path().await, "/ui/signin");
    browser.close().await;
}

#[tokio::test]
async fn without_a_session_a_csrf_token_or_the_approve_role_nothing_changes() {
    let (service, id) = service().await;
    let approve = format!("/ui/approvals/{id}/approve");

    // No session: 303 to the sign-in page, for pages and forms alike.
    for (status, location) in [
        raw_get(&service, "/ui/secrets", None).await,
        post_form(&service, &approve, None, &[("csrf", "x")]).await,
    ] {
        assert_eq!((status, location.as_deref()), (303, Some("/ui/signin")));
    }
    // A sign-in without the form's own token, or with a wrong token.
    assert_eq!(
        post_form(&service, "/ui/signin", None, &[("token", APPROVER.1)])
            .await
            .0,
        403
    );
    assert!(
        http_sign_in(&service, "not-a-token-0123456789")
            .await
            .is_none()
    );

    // An approver's session, but no CSRF token or a wrong one: 403.
    let april = http_sign_in(&service, APPROVER.1)
        .await
        .expect("april signs in");
    for fields in [vec![], vec![("csrf", "0".repeat(64))]] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, _) = post_form(&service, &approve, Some(&april.cookie), &fields).await;
        assert_eq!(status, 403);
    }
    // Sign-out without the token does not sign out either.
    assert_eq!(
        post_form(&service, "/ui/signout", Some(&april.cookie), &[])
            .await
            .0,
        403
    );
    assert_eq!(
        raw_get(&service, "/ui/approvals", Some(&april.cookie))
            .await
            .0,
        200
    );

    // A viewer: no approve button, and a forged approve with a valid token is 403.
    let vera = http_sign_in(&service, VIEWER.1)
        .await
        .expect("vera signs in");
    let (status, _) = post_form(
        &service,
        &approve,
        Some(&vera.cookie),
        &[("csrf", &vera.csrf)],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(approval_status(&service, &id).await, "pending");
    assert_eq!(service.status_of(PENDING).await, "pending_approval");

    // The secret page's evidence download: a session is needed; the page
    // downloaded verifies elsewhere with only the public key.
    let download = "/ui/secrets/local%3Alegacy%2Fftp-password/evidence";
    assert_eq!(raw_get(&service, download, None).await.0, 303);
    let page = reqwest::Client::new()
        .get(service.url(download))
        .header("cookie", &vera.cookie)
        .send()
        .await
        .expect("evidence");
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|v| v.starts_with("attachment;")),
        "{:?}",
        page.headers()
    );
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"id="evidence""#), "not an evidence page");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("evidence.html");
    std::fs::write(&file, &html).expect("write");
    let key = crate::common::tenure(&service.demo.config, &["audit", "pubkey"])
        .output()
        .expect("pubkey");
    let pem = dir.path().join("tenure-audit.pub.pem");
    std::fs::write(&pem, key.stdout).expect("pem");
    let verified = crate::common::tenure(
        std::path::Path::new("/nonexistent/tenure.toml"),
        &[
            "evidence",
            "verify",
            file.to_str().expect("utf-8"),
            "--pubkey",
            pem.to_str().expect("utf-8"),
        ],
    )
    .output()
    .expect("verify");
    assert!(
        verified.status.success(),
        "{}",
        crate::common::stderr(&verified)
    );

    if let Some(browser) = Browser::start().await {
        browser.sign_in(&service.base, VIEWER.1).await;
        browser
            .goto(&format!("{}/ui/approvals", service.base))
            .await;
        let text = browser.text().await;
        assert!(text.contains("Waits for an approver"), "{text}");
        assert_eq!(browser.count("form[action$=\"/approve\"]").await, 0);
        assert_eq!(browser.count("form[action$=\"/reject\"]").await, 0);
        browser.screenshot("approvals-viewer").await;
        browser.close().await;
    }
}
