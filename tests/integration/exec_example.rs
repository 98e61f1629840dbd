//! The binary with the exec target and its example program, end to end:
//! narrow, rotate and revoke, each checked against the service itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::example::Example;
use crate::common::{stderr, stdout, with_stdin};

fn program() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("plugins/target-exec/examples/password_file_target.py")
}

fn logs_in(service: &Path, password: &str) -> bool {
    let mut command = Command::new(program());
    command.arg(service).args(["--check", "app"]);
    with_stdin(command, password).status.success()
}

#[test]
fn narrow_rotate_and_revoke_through_an_external_program() {
    // Same shape as config/examples/exec.toml, with absolute paths.
    let mut service = PathBuf::new();
    let example = Example::new("exec", |text, root| {
        service = root.join("service.json");
        text.replace(
            "\"../../plugins/target-exec/examples/password_file_target.py\"",
            &format!("{:?}", program()),
        )
        .replace("\".tenure-exec/service.json\"", &format!("{service:?}"))
        .replace("working_dir = \"../..\"", "")
    });

    let mut init = Command::new(program());
    init.arg(&service)
        .args(["--init", "app", "read:orders", "write:orders", "admin"]);
    assert!(with_stdin(init, "initial-password").status.success());
    let put = with_stdin(
        example.command(&["local", "put", "apps/legacy", "--owner", "ops@example.com"]),
        r#"{"username":"app","password":"initial-password"}"#,
    );
    assert!(put.status.success(), "{}", stderr(&put));

    // The plan decides from recorded attestations: attest first. It finds
    // the excess privileges, and says so with exit code 1.
    let attest = example.run(&["attest", "--format", "json"]);
    assert_eq!(attest.status.code(), Some(1), "{}", stderr(&attest));
    let report: serde_json::Value = serde_json::from_str(&stdout(&attest)).expect("json");
    assert_eq!(report["secrets"][0]["result"], "drift", "{report}");
    assert_eq!(
        report["secrets"][0]["findings"],
        serde_json::json!(["scope_excess"])
    );
    let plan = example.run(&["plan", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&stdout(&plan)).expect("json");
    assert_eq!(plan[0]["decision"], "narrow", "{plan}");
    assert_eq!(plan[0]["reasons"], serde_json::json!(["scope_excess"]));

    example.ok(&["run", "--once"]);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&service).expect("service")).expect("json");
    assert_eq!(
        state["users"]["app"]["privileges"],
        serde_json::json!(["read:orders"])
    );

    example.ok(&["rotate", "local:apps/legacy"]);
    let current = example.run(&["local", "get", "apps/legacy"]);
    let current: serde_json::Value = serde_json::from_str(stdout(&current).trim()).expect("json");
    let new_password = current["password"].as_str().expect("password").to_owned();
    assert!(
        logs_in(&service, &new_password),
        "the new password does not log in"
    );
    assert!(
        !logs_in(&service, "initial-password"),
        "the old password still logs in after grace 0s"
    );

    example.ok(&["revoke", "local:apps/legacy"]);
    assert!(
        !logs_in(&service, &new_password),
        "the revoked password still logs in"
    );
    assert!(
        example.audit().contains("refused: account disabled"),
        "no proof in the audit trail"
    );
    example.ok(&["audit", "verify"]);
}
