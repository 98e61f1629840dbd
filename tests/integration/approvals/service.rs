//! Approvals through the running service: an operator's revoke of a
//! PostgreSQL login waits; the requester's own approval is refused (403),
//! so is an operator's (no approve permission); a second person, an
//! approver, approves and the login is refused at once (SQLSTATE 28000);
//! the audit trail names each actor.

use reqwest::Method;
use sqlx::PgConnection;

use super::{approval_entries, approvals_table};
use crate::common::Demo;
use crate::common::service::{ADMIN_TOKEN, Service};
use crate::common::sql::{PgRole, login};

const APPROVER: (&str, &str) = ("TENURE_APPROVER_TOKEN", "approver-token-0123456789");
const OPERATOR: (&str, &str) = ("TENURE_OPERATOR_TOKEN", "operator-token-0123456789");

#[tokio::test]
async fn a_revoke_runs_only_once_a_second_person_approves_it() {
    let Some(url) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let role = PgRole::create(&url, "foureyes", "four-eyes-password").await;
    let user_login = role.login.clone();
    let demo = Demo::new();
    let config = demo.config.with_file_name("examples/service.toml");
    let secret = role.put_in_local_vault(&config, "dana@example.com");
    let role_name = role.name.clone();
    let tables = format!(
        r#"{approvals}
[[server.operators]]
name = "april"
role = "approver"
token = {{ env = "{approver}" }}

[[server.operators]]
name = "olivia"
role = "operator"
token = {{ env = "{operator}" }}

[targets.pg]
type = "postgres"
admin_url = {{ env = "TENURE_PG_ADMIN_URL" }}
strategy = "single"
revoke = "nologin"

[[records]]
id = "four-eyes-db"
secrets = "{secret}"
target = "pg"
account = "{role_name}"
owner = "dana@example.com"
purpose = "A database login whose revocation needs a second person"
approval = {{ by = "ciso@example.com", at = 2026-11-01T09:00:00Z, ticket = "SEC-600" }}
"#,
        approvals = approvals_table("1h"),
        approver = APPROVER.0,
        operator = OPERATOR.0,
    );
    let env = [APPROVER, OPERATOR, ("TENURE_PG_ADMIN_URL", url.as_str())];
    let service = Service::start_demo_with(demo, &tables, &env).await;
    assert_eq!(
        service.status_of(&secret).await,
        "active",
        "{}",
        service.log()
    );

    // The admin asks: 202, pending_approval, with the request's id.
    let encoded = secret.replace(':', "%3A").replace('/', "%2F");
    let revoke = format!("/v1/secrets/{encoded}/revoke");
    let (status, asked) = service.call(Method::POST, &revoke, ADMIN_TOKEN).await;
    assert_eq!(status, 202, "{asked}");
    assert_eq!(asked["outcome"], "pending_approval", "{asked}");
    let id = asked["approval"].as_str().expect("approval id").to_owned();
    assert_eq!(service.status_of(&secret).await, "pending_approval");
    let (status, pending) = service
        .call(Method::GET, "/v1/approvals?status=pending", OPERATOR.1)
        .await;
    assert_eq!(status, 200, "{pending}");
    let listed = pending.as_array().expect("list");
    assert!(
        listed.iter().any(|a| a["id"] == id.as_str()
            && a["requested_by"] == "admin"
            && a["subject"] == secret.as_str()),
        "{pending}"
    );
    let (status, _) = service
        .call(Method::GET, "/v1/approvals?status=maybe", OPERATOR.1)
        .await;
    assert_eq!(status, 400);

    // The requester cannot approve it; an operator may not approve at all.
    let approve = format!("/v1/approvals/{id}/approve");
    let (status, own) = service.call(Method::POST, &approve, ADMIN_TOKEN).await;
    assert_eq!(status, 403, "{own}");
    assert!(
        own["error"]
            .as_str()
            .is_some_and(|e| e.contains("another approver must")),
        "{own}"
    );
    let (status, _) = service.call(Method::POST, &approve, OPERATOR.1).await;
    assert_eq!(status, 403);
    assert_eq!(
        login::<PgConnection>(&user_login).await,
        Ok(()),
        "nothing ran yet"
    );

    // A second person approves: the revoke runs, proven by a refused login.
    let (status, done) = service.call(Method::POST, &approve, APPROVER.1).await;
    assert_eq!(status, 200, "{done}\n{}", service.log());
    assert_eq!(done["outcome"], "succeeded", "{done}");
    assert_eq!(done["approval"]["status"], "used", "{done}");
    assert_eq!(done["approval"]["decided_by"], "april", "{done}");
    assert_eq!(
        login::<PgConnection>(&user_login).await,
        Err("28000".into()),
        "approved, but the login still works"
    );
    let (status, again) = service.call(Method::POST, &approve, APPROVER.1).await;
    assert_eq!(status, 409, "{again}");
    let (status, _) = service
        .call(Method::POST, "/v1/approvals/no-such-id/reject", APPROVER.1)
        .await;
    assert_eq!(status, 404);

    let trail = service.audit();
    let entries: Vec<_> = approval_entries(&trail)
        .into_iter()
        .filter(|e| e.1 == secret)
        .collect();
    assert_eq!(
        entries,
        vec![
            ("requested".into(), secret.clone(), Some("admin".into())),
            ("approved".into(), secret.clone(), Some("april".into())),
            ("used".into(), secret.clone(), None),
        ],
        "{trail}"
    );
    assert!(
        trail.contains("refused with SQLSTATE 28000"),
        "no proof in the trail"
    );
    role.drop().await;
}
