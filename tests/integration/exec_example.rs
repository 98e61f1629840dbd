//! The binary with the exec target and its example program, end to end:
//! narrow, rotate and revoke, each checked against the service itself.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{stderr, stdout};

fn program() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("plugins/target-exec/examples/password_file_target.py")
}

fn with_stdin(mut command: Command, input: &str) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn logs_in(service: &Path, password: &str) -> bool {
    let mut command = Command::new(program());
    command.arg(service).args(["--check", "app"]);
    with_stdin(command, password).status.success()
}

#[test]
fn narrow_rotate_and_revoke_through_an_external_program() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    let service = root.join("service.json");
    // Same shape as config/examples/exec.toml, with absolute paths.
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/examples/exec.toml"),
    )
    .expect("example");
    let config_text = example
        .replace(
            "\"../../.tenure-exec\"",
            &format!("{:?}", root.join("state")),
        )
        .replace(
            "\"../../.tenure-exec/vault.tvault\"",
            &format!("{:?}", root.join("vault.tvault")),
        )
        .replace(
            "\"../../plugins/target-exec/examples/password_file_target.py\"",
            &format!("{:?}", program()),
        )
        .replace("\".tenure-exec/service.json\"", &format!("{service:?}"))
        .replace("working_dir = \"../..\"", "");
    let config = root.join("tenure.toml");
    std::fs::write(&config, config_text).expect("config");
    let tenure = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
        command
            .arg("-c")
            .arg(&config)
            .args(args)
            .env_remove("TENURE_LOG");
        command
    };

    let mut init = Command::new(program());
    init.arg(&service)
        .args(["--init", "app", "read:orders", "write:orders", "admin"]);
    assert!(with_stdin(init, "initial-password").status.success());
    let put = with_stdin(
        tenure(&["local", "put", "apps/legacy", "--owner", "ops@example.com"]),
        r#"{"username":"app","password":"initial-password"}"#,
    );
    assert!(put.status.success(), "{}", stderr(&put));

    // The plan decides from recorded attestations: attest first. It finds
    // the excess privileges, and says so with exit code 1.
    let attest = tenure(&["attest", "--format", "json"])
        .output()
        .expect("attest");
    assert_eq!(attest.status.code(), Some(1), "{}", stderr(&attest));
    let report: serde_json::Value = serde_json::from_str(&stdout(&attest)).expect("json");
    assert_eq!(report["secrets"][0]["result"], "drift", "{report}");
    assert_eq!(
        report["secrets"][0]["findings"],
        serde_json::json!(["scope_excess"])
    );
    let plan = tenure(&["plan", "--format", "json"])
        .output()
        .expect("plan");
    let plan: serde_json::Value = serde_json::from_str(&stdout(&plan)).expect("json");
    assert_eq!(plan[0]["decision"], "narrow", "{plan}");
    assert_eq!(plan[0]["reasons"], serde_json::json!(["scope_excess"]));

    let run = tenure(&["run", "--once"]).output().expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&service).expect("service")).expect("json");
    assert_eq!(
        state["users"]["app"]["privileges"],
        serde_json::json!(["read:orders"])
    );

    let rotate = tenure(&["rotate", "local:apps/legacy"])
        .output()
        .expect("rotate");
    assert!(rotate.status.success(), "{}", stderr(&rotate));
    let current = tenure(&["local", "get", "apps/legacy"])
        .output()
        .expect("get");
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

    let revoke = tenure(&["revoke", "local:apps/legacy"])
        .output()
        .expect("revoke");
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert!(
        !logs_in(&service, &new_password),
        "the revoked password still logs in"
    );
    let trail = std::fs::read_to_string(root.join("state/audit.jsonl")).expect("trail");
    assert!(
        trail.contains("refused: account disabled"),
        "no proof in the audit trail"
    );
    let verify = tenure(&["audit", "verify"]).output().expect("verify");
    assert!(verify.status.success(), "{}", stderr(&verify));
}
