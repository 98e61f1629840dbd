//! Drift made by hand is found and repaired in one pass, for the single and
//! the dual strategy, and a retired role given LOGIN again is retired again.

use serde_json::Value;

use super::setup;
use crate::common::drift::scenarios;
use crate::common::stderr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_role_drift_is_found_and_repaired() {
    let Some((pg, proxy, bed, path)) = setup("single", "").await else {
        return;
    };
    scenarios(&bed, &pg, &proxy, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_roles_drift_is_found_and_repaired() {
    let Some((pg, proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    scenarios(&bed, &pg, &proxy, &path).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_role_given_login_again_is_retired_again() {
    let Some((pg, _proxy, bed, path)) = setup("dual", "").await else {
        return;
    };
    let secret = format!("local:{path}");
    bed.ok(&["rotate", secret.as_str()]).await;
    let retired = format!("{}_a", pg.holder);
    let can_login = |role: String| {
        let pool = pg.pool.clone();
        async move {
            sqlx::query_scalar::<_, bool>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
                .bind(role)
                .fetch_one(&pool)
                .await
                .expect("role")
        }
    };
    assert!(!can_login(retired.clone()).await, "not retired");
    let proof = bed
        .entries("verification", &secret)
        .into_iter()
        .find(|e| e["data"]["evidence"]["check"] == "retired_credential_refused")
        .expect("a proof at retire time");
    assert!(
        proof["data"]["evidence"]["proof"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SQLSTATE 28")),
        "{proof}"
    );

    pg.sql(&format!("ALTER ROLE {retired} LOGIN")).await;
    bed.until_due().await;
    let out = bed.ok(&["run", "--once"]).await;
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "{secret}: attestation found retired_credential_alive."
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "{secret} must be retired again: retired_credential_alive."
        )),
        "{log}"
    );
    assert!(!can_login(retired.clone()).await, "not retired again");
    let runs = bed.entries("run_started", &secret);
    assert_eq!(runs.last().expect("run")["data"]["action"], "retire");
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(
        (&entry["decision"], &entry["attestation"]),
        (&Value::from("compliant"), &Value::from("ok")),
        "{entry}"
    );
}
