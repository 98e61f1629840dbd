//! Values attestation refuses: an exposed value fails at once whatever the
//! grace, and a value naming another role is refused with nothing changed.

use serde_json::{Value, json};

use super::setup;
use crate::common::drift::{Server, pg_login};
use crate::common::sql::can_login;
use crate::common::stderr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exposed_value_fails_at_once_whatever_the_grace() {
    let Some((pg, _proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    bed.edit("grace = \"0s\"", "grace = \"1h\"");
    let secret = format!("local:{path}");
    let exposed = bed.get(&path).await;
    {
        let store = tenure::state::SqliteStore::open(&bed.dir.path().join("state/state.db"))
            .await
            .expect("store");
        let event = tenure::state::InboundEvent {
            id: "test exposed-1".into(),
            delivery_id: None,
            kind: "io.tenure.secret.exposed".into(),
            data: json!({ "secret": secret }),
            occurred_at: None,
            received_at: chrono::Utc::now(),
        };
        use tenure::state::StateStore;
        store.insert_event(&event).await.expect("insert");
        let audit = tenure::audit::AuditLog::new(&bed.dir.path().join("state/audit.jsonl"));
        tenure::events::process_pending(&store, &audit, 10)
            .await
            .expect("process");
    }
    bed.pass_saying(&format!("{secret} must be rotated: secret_exposed."))
        .await;
    assert!(
        !pg.logs_in(&exposed).await,
        "the exposed value still logs in"
    );
    assert!(pg.logs_in(&bed.get(&path).await).await);
    let proofs = bed.proofs(&secret, "retired_credential_refused");
    let proof = proofs.first().expect("proof that the exposed value fails");
    assert!(
        proof["data"]["evidence"]["proof"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SQLSTATE 28000"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_naming_another_role_is_refused_with_nothing_changed() {
    let Some((pg, proxy, bed, path)) = setup("single", "").await else {
        return;
    };
    // Another team's role, with a password and a grant of its own.
    let victim = format!("{}_victim", pg.holder);
    pg.sql(&format!(
        "CREATE ROLE {victim} LOGIN PASSWORD 'victim-password'"
    ))
    .await;
    pg.sql(&format!(
        "GRANT SELECT, INSERT ON public.{} TO {victim}",
        pg.table
    ))
    .await;
    let victim_login = json!({ "username": victim, "password": "victim-password" }).to_string();
    // Whoever can write the secret points it at that role.
    bed.put(&path, &pg_login(&victim, "anything", proxy.addr.port()))
        .await;
    let secret = format!("local:{path}");
    let grants = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT privilege_type::text FROM information_schema.role_table_grants
             WHERE grantee = $1 AND table_name = $2 ORDER BY 1",
        )
        .bind(&victim)
        .bind(&pg.table)
        .fetch_all(&pg.pool)
        .await
        .expect("grants")
    };

    bed.pass_saying(&format!("{secret} needs a person: account_mismatch."))
        .await;
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(entry["reasons"], json!(["account_mismatch"]), "{entry}");
    let attestation = bed
        .entries("attestation", &secret)
        .pop()
        .expect("an attestation entry");
    let account = attestation["data"]["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "account"))
        .expect("the account check")
        .clone();
    assert_eq!(
        account["detail"]["value_names"],
        Value::from(victim.clone())
    );

    // An operator's rotation and revocation are refused too.
    for action in ["rotate", "revoke"] {
        let out = bed.run(&[action, secret.as_str()]).await;
        assert_eq!(out.status.code(), Some(1), "{action}: {}", stderr(&out));
    }
    let errors: Vec<Value> = bed.entries("error", &secret);
    assert!(
        errors.iter().all(|e| e["data"]["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("account_mismatch:"))),
        "{errors:?}"
    );
    assert!(!errors.is_empty());

    // Nothing changed for the other role.
    assert!(pg.logs_in(&victim_login).await, "its password changed");
    assert_eq!(
        grants().await,
        vec!["INSERT", "SELECT"],
        "its grants changed"
    );
    assert!(can_login(&pg.pool, &victim).await, "it was revoked");
}
