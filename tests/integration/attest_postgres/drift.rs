//! Drift made by hand is found and repaired in one pass, for the single and
//! the dual strategy, and a retired role given LOGIN again is retired again.

use super::setup;
use crate::common::drift::scenarios;
use crate::common::sql::can_login;
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
    assert!(!can_login(&pg.pool, &retired).await, "not retired");
    let proofs = bed.proofs(&secret, "retired_credential_refused");
    let proof = proofs.first().expect("a proof at retire time");
    assert!(
        proof["data"]["evidence"]["proof"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("SQLSTATE 28")),
        "{proof}"
    );

    pg.sql(&format!("ALTER ROLE {retired} LOGIN")).await;
    bed.until_due().await;
    let out = bed
        .pass_saying(&format!(
            "{secret}: attestation found retired_credential_alive."
        ))
        .await;
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "{secret} must be retired again: retired_credential_alive."
        )),
        "{log}"
    );
    assert!(!can_login(&pg.pool, &retired).await, "not retired again");
    let runs = bed.entries("run_started", &secret);
    assert_eq!(runs.last().expect("run")["data"]["action"], "retire");
    bed.assert_compliant(&secret, "").await;
}
