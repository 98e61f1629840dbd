//! `tenure revoke`, `tenure approvals` and `tenure approve` on the demo with
//! `[approvals] require = ["revoke"]`.

use serde_json::Value;

use super::{approval_entries, approvals_table};
use crate::common::{Demo, edit_file, stderr, stdout};

const REPORTS: &str = "local:demo/reports-token";
const FTP: &str = "local:legacy/ftp-password";

/// The id in "... request <id> (another approver ...".
fn request_id(out: &str) -> String {
    out.split("request ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a request id")
        .to_owned()
}

fn plan_entry(demo: &Demo, secret: &str) -> Value {
    let out = demo.ok(&["plan", "--format", "json"]);
    let plan: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("plan JSON");
    plan.into_iter()
        .find(|e| e["secret"] == secret)
        .expect("secret in plan")
}

#[test]
fn a_revoke_waits_for_a_second_person_and_runs_once_approved() {
    let demo = Demo::new();
    demo.append(&approvals_table("1h"));

    // Alice asks: nothing is revoked, the request waits.
    let asked = demo.run(&["revoke", REPORTS, "--actor", "alice"]);
    assert_eq!(asked.status.code(), Some(1), "{}", stderr(&asked));
    let text = stdout(&asked);
    assert!(text.contains("waits for an approver"), "{text}");
    let id = request_id(&text);
    assert_eq!(plan_entry(&demo, REPORTS)["decision"], "compliant");
    let listed = stdout(&demo.ok(&["approvals", "--status", "pending"]));
    assert!(listed.contains(&id) && listed.contains("alice"), "{listed}");

    // Asked again: the same request, not a second one.
    let again = demo.run(&["revoke", REPORTS, "--actor", "dora"]);
    assert_eq!(request_id(&stdout(&again)), id);

    // Alice cannot approve her own request; nothing changes.
    let own = demo.run(&["approve", &id, "--actor", "alice"]);
    assert_eq!(own.status.code(), Some(1));
    assert!(
        stderr(&own).contains("alice asked for this action and cannot approve or reject it"),
        "{}",
        stderr(&own)
    );
    assert!(
        !demo.get("demo/reports-token").is_empty(),
        "the secret is still served"
    );

    // Bob approves: the revoke runs at once.
    let approved = demo.run(&["approve", &id, "--actor", "bob"]);
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    assert!(
        stdout(&approved).contains("succeeded"),
        "{}",
        stdout(&approved)
    );
    let entry = plan_entry(&demo, REPORTS);
    assert!(
        entry["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r == "disabled")),
        "{entry}"
    );

    // Decided once: a second decision is refused, an unknown id is not found.
    let twice = demo.run(&["approve", &id, "--actor", "carl"]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(stderr(&twice).contains("is used"), "{}", stderr(&twice));
    assert_eq!(demo.run(&["approve", "no-such-id"]).status.code(), Some(4));

    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    let entries = approval_entries(&trail);
    let subject = REPORTS.to_owned();
    assert_eq!(
        entries,
        vec![
            ("requested".into(), subject.clone(), Some("alice".into())),
            ("approved".into(), subject.clone(), Some("bob".into())),
            ("used".into(), subject, None),
        ],
        "{trail}"
    );
}

#[test]
fn a_decided_revoke_waits_in_the_plan_and_a_rejection_holds_it() {
    let demo = Demo::new();
    demo.append(&approvals_table("1h"));

    // The pass revokes what bypasses approval (an owner who left) and asks
    // for the rest: a decommissioned workload's password waits.
    let pass = demo.run(&["run", "--once"]);
    assert_eq!(pass.status.code(), Some(1), "a waiting action is not done");
    let entry = plan_entry(&demo, FTP);
    assert_eq!(entry["decision"], "revoke");
    let id = entry["pending_approval"]
        .as_str()
        .expect("the plan names the request")
        .to_owned();
    let table = stdout(&demo.ok(&["plan"]));
    assert!(
        table.contains(&format!("(pending_approval: {id})")),
        "{table}"
    );
    let payments = plan_entry(&demo, "local:api/payments-token");
    assert!(payments["pending_approval"].is_null(), "{payments}");
    assert_eq!(payments["decision"], "compliant", "owner_left bypasses");

    // Rejected: the next pass neither runs it nor asks again.
    let rejected = demo.run(&["approve", &id, "--reject", "--actor", "bob"]);
    assert_eq!(rejected.status.code(), Some(0), "{}", stderr(&rejected));
    let _ = demo.run(&["run", "--once"]);
    let listed = stdout(&demo.ok(&["approvals"]));
    assert_eq!(listed.lines().count(), 2, "one request only:\n{listed}");
    assert!(listed.contains("rejected"), "{listed}");
    assert_eq!(plan_entry(&demo, FTP)["decision"], "revoke");
    assert!(!demo.get("legacy/ftp-password").is_empty());

    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    let ftp: Vec<_> = approval_entries(&trail)
        .into_iter()
        .filter(|e| e.1 == FTP)
        .map(|e| (e.0, e.2))
        .collect();
    assert_eq!(
        ftp,
        vec![
            ("requested".into(), None),
            ("rejected".into(), Some("bob".into())),
        ]
    );
}

#[test]
fn an_approval_never_runs_a_decision_that_has_changed() {
    let demo = Demo::new();
    demo.append(&approvals_table("1h"));
    let _ = demo.run(&["run", "--once"]);
    let id = plan_entry(&demo, FTP)["pending_approval"]
        .as_str()
        .expect("a request")
        .to_owned();

    // The workload is running again: the revoke is no longer decided.
    edit_file(
        &demo.config.with_file_name("governance/people.toml"),
        "status = \"decommissioned\"",
        "status = \"running\"",
    );
    let approved = demo.run(&["approve", &id, "--actor", "bob"]);
    assert_eq!(approved.status.code(), Some(0), "{}", stderr(&approved));
    let text = stdout(&approved);
    assert!(
        text.contains("not_needed") && text.contains("the request is stale"),
        "{text}"
    );
    assert!(
        !demo.get("legacy/ftp-password").is_empty(),
        "a stale approval revoked the password"
    );
    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    let ftp: Vec<String> = approval_entries(&trail)
        .into_iter()
        .filter(|e| e.1 == FTP)
        .map(|e| e.0)
        .collect();
    assert_eq!(ftp, ["requested", "approved", "stale"]);
}

#[test]
fn the_examples_approvals_block_loads_uncommented() {
    let demo = Demo::new();
    let example = demo.config.with_file_name("examples/service.toml");
    let uncommented = crate::common::uncomment_block(&example, "# [approvals]", &[]);
    assert_eq!(uncommented, 5, "the example's approvals block changed");
    let out = crate::common::tenure(&example, &["check-config"])
        .output()
        .expect("check-config");
    assert!(out.status.success(), "{}", stderr(&out));
}
