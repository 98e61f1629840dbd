//! A real SCIM client (scim2-client, installed by scripts/services into
//! target/scim-venv) provisions users and groups against the running
//! service: discovery, create, filter, read, replace, patch, paging,
//! groups, errors and delete, each checked by the client's own validation.

use serde_json::Value;

use super::{SCIM_TOKEN, scim_audit, start};
use crate::common::stderr;

#[tokio::test]
async fn a_real_scim_client_provisions_users_and_groups() {
    let Some(python) = tenure_testkit::service_url("TENURE_TEST_SCIM_PYTHON") else {
        return;
    };
    let service = start("", &[]).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/scim/drive_client.py"
    );
    let base = service.url("/scim/v2");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(&base)
        .arg(SCIM_TOKEN)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .await
        .expect("run the SCIM client");
    let steps: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        out.status.success(),
        "the SCIM client failed after {steps:?}:\n{}\n{}",
        stderr(&out),
        service.log()
    );
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {steps:?}"))
            .clone()
    };
    assert_eq!(
        step("discovered")["resource_types"],
        serde_json::json!(["User", "Group"])
    );
    let errors = step("errors");
    assert_eq!(errors["duplicate"], serde_json::json!([409, "uniqueness"]));
    assert_eq!(errors["unknown"], serde_json::json!([404, null]));
    assert_eq!(
        errors["bad_filter"],
        serde_json::json!([400, "invalidFilter"])
    );
    step("done");

    // Every change is in the trail with the actor `scim`; the deactivation
    // and the delete raised owner.left, the reactivation owner.returned.
    let audit = scim_audit(&service);
    assert!(audit.iter().all(|e| e["data"]["by"] == "scim"), "{audit:?}");
    let raised: Vec<&str> = audit
        .iter()
        .filter_map(|e| e["data"]["event"]["type"].as_str())
        .filter(|t| t.starts_with("io.tenure.owner."))
        .collect();
    assert_eq!(
        raised,
        [
            "io.tenure.owner.left",
            "io.tenure.owner.returned",
            "io.tenure.owner.left"
        ]
    );
}
