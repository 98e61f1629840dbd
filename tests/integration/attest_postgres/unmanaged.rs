//! An unmanaged role is reported, then disabled with proof.

use serde_json::{Value, json};

use super::setup;
use crate::common::sql::can_login;
use crate::common::stdout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmanaged_role_is_reported_then_disabled_with_proof() {
    let Some((pg, _proxy, bed, path)) = setup(
        "single",
        "discover = { include = [\"drift_*\"] }\non_unmanaged = \"report\"",
    )
    .await
    else {
        return;
    };
    // Only this test's roles: narrow the glob to its own prefix.
    bed.edit(
        "include = [\"drift_*\"]",
        &format!("include = [\"{}*\"]", pg.holder),
    );
    let rogue = format!("{}_rogue", pg.holder);
    pg.sql(&format!(
        "CREATE ROLE {rogue} LOGIN PASSWORD 'nobody-knows'"
    ))
    .await;
    let account = format!("pg/{rogue}");

    bed.pass_saying(&format!(
        "Target pg holds the account {rogue}, which no governed secret names."
    ))
    .await;
    let entry = bed.plan_entry(&account).await;
    assert_eq!(entry["decision"], "escalate", "{entry}");
    assert_eq!(entry["reasons"], json!(["unmanaged_account"]));
    assert_eq!(entry["account"], Value::from(rogue.clone()));
    // The governed role is not reported.
    let plan = bed.ok(&["plan", "--format", "json"]).await;
    assert!(!stdout(&plan).contains(&format!("\"pg/{}\"", pg.holder)));
    let attest = bed.run(&["attest"]).await;
    assert_eq!(
        attest.status.code(),
        Some(1),
        "an unmanaged account is a finding"
    );

    bed.edit("on_unmanaged = \"report\"", "on_unmanaged = \"disable\"");
    bed.ok(&["run", "--once"]).await;
    assert!(
        !can_login(&pg.pool, &rogue).await,
        "the unmanaged role can still log in"
    );
    let disabled = bed
        .audit()
        .into_iter()
        .find(|e| e["kind"] == "unmanaged_account" && e["data"]["state"] == "disabled")
        .expect("an audit entry with the proof");
    assert_eq!(disabled["data"]["proof"]["logins"][0]["enabled"], false);
    assert_eq!(
        disabled["data"]["proof"]["logins"][0]["detail"],
        "rolcanlogin=false"
    );
    let entry = bed.plan_entry(&account).await;
    assert_eq!(entry["decision"], "compliant", "{entry}");
    assert_eq!(entry["reasons"], json!(["unmanaged_account", "disabled"]));
    let _ = path;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_an_unmanaged_role_waits_for_an_approver() {
    let Some((pg, _proxy, bed, _path)) = setup(
        "single",
        "discover = { include = [\"drift_*\"] }\non_unmanaged = \"disable\"",
    )
    .await
    else {
        return;
    };
    bed.edit(
        "include = [\"drift_*\"]",
        &format!("include = [\"{}*\"]", pg.holder),
    );
    bed.edit(
        "[[owners]]",
        "[approvals]\nrequire = [\"disable_unmanaged\"]\n\n[[owners]]",
    );
    let rogue = format!("{}_rogue", pg.holder);
    pg.sql(&format!(
        "CREATE ROLE {rogue} LOGIN PASSWORD 'nobody-knows'"
    ))
    .await;
    let account = format!("pg/{rogue}");

    // Found, not disabled: the request waits, named in the plan.
    let _ = bed.run(&["run", "--once"]).await;
    assert!(
        can_login(&pg.pool, &rogue).await,
        "disabled without approval"
    );
    let entry = bed.plan_entry(&account).await;
    let detail = entry["detail"].as_str().unwrap_or_default().to_owned();
    let id = detail
        .strip_prefix("disabling it waits for approval request ")
        .unwrap_or_else(|| panic!("{entry}"))
        .to_owned();

    // Approved by a second person: the next listing disables it, with proof.
    bed.ok(&["approve", &id, "--actor", "bob"]).await;
    bed.ok(&["run", "--once"]).await;
    assert!(
        !can_login(&pg.pool, &rogue).await,
        "approved, but the unmanaged role can still log in"
    );
    let entry = bed.plan_entry(&account).await;
    assert_eq!(entry["reasons"], json!(["unmanaged_account", "disabled"]));
    let events: Vec<String> = bed
        .audit()
        .into_iter()
        .filter(|e| e["kind"] == "approval" && e["data"]["subject"] == account.as_str())
        .map(|e| e["data"]["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(events, ["requested", "approved", "used"]);
}
