//! The key path end to end: a PostgreSQL role's credential is governed by a
//! record whose owner is an Entra user; Entra's PATCH with
//! `"active": "False"` makes the owner leave, and the service revokes the
//! credential with proof (the login refused with SQLSTATE 28000). Entra's
//! reactivation lifts the signal: the owner is active again.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgConnection;

use super::{Fixture, SCIM_TABLE, SCIM_TOKEN};
use crate::common::service::Service;
use crate::common::sql::{PgRole, login};
use crate::common::{Deadline, Demo};

const OWNER: &str = "Erin.Entra@contoso.example";

#[tokio::test]
async fn an_entra_deactivation_revokes_the_owners_postgres_credential_with_proof() {
    let Some(url) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let role = PgRole::create(&url, "scim", "scim-e2e-password").await;
    let user_login = role.login.clone();

    // The role's login in the local vault, owned by the Entra user.
    let demo = Demo::new();
    let config = demo.config.with_file_name("examples/service.toml");
    let secret = role.put_in_local_vault(&config, OWNER);
    let role_name = role.name.clone();
    let tables = format!(
        r#"{SCIM_TABLE}
[targets.pg]
type = "postgres"
admin_url = {{ env = "TENURE_PG_ADMIN_URL" }}
strategy = "single"
revoke = "nologin"

[[owners]]
id = "{OWNER}"
status = "active"

[[records]]
id = "scim-owned-db"
secrets = "{secret}"
target = "pg"
account = "{role_name}"
owner = "{OWNER}"
purpose = "A database login whose owner is provisioned by Entra ID"
approval = {{ by = "ciso@example.com", at = 2026-11-01T09:00:00Z, ticket = "SEC-500" }}
"#
    );
    let env = [
        ("TENURE_SCIM_TOKEN", SCIM_TOKEN),
        ("TENURE_PG_ADMIN_URL", url.as_str()),
    ];
    let service = Service::start_demo_with(demo, &tables, &env).await;
    assert_eq!(
        service.status_of(&secret).await,
        "active",
        "{}",
        service.log()
    );

    let (status, user) = Fixture::load("entra-create-user").send(&service, "").await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().expect("id").to_owned();
    let (status, off) = Fixture::load("entra-deactivate").send(&service, &id).await;
    assert_eq!(status, 200, "{off}");

    // Revoked, with the refused login as proof.
    let deadline = Deadline::after(Duration::from_secs(15), Duration::from_millis(100));
    while service.status_of(&secret).await != "revoked" {
        deadline
            .wait(|| format!("not revoked:\n{}", service.log()))
            .await;
    }
    assert_eq!(
        login::<PgConnection>(&user_login).await,
        Err("28000".into()),
        "the owner left but the login still works"
    );
    let trail = service.audit();
    assert!(trail.contains("\"reasons\":[\"owner_left\"]"), "{trail}");
    assert!(
        trail.contains("refused with SQLSTATE 28000"),
        "no proof in the trail"
    );

    // Reactivated: the signal is lifted, the owner active again.
    let (status, on) = Fixture::load("entra-reactivate").send(&service, &id).await;
    assert_eq!(status, 200, "{on}");
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    loop {
        let signals: Vec<Value> = service.admin_json("/v1/signals").await;
        let owner = signals.iter().find(|s| s["key"] == OWNER);
        if owner.is_some_and(|s| s["value"] == "active") {
            break;
        }
        deadline.wait(|| format!("not lifted: {signals:?}")).await;
    }
    let (_, reasons) = service.planned(&secret).await;
    assert!(!reasons.contains(&"owner_left".to_owned()), "{reasons:?}");
    role.drop().await;
}
