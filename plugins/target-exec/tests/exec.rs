//! The exec target against its example program: the conformance suite,
//! secrets kept out of argv and environment, timeouts, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tenure_plugin_api::conformance::run_target_suite;
use tenure_plugin_api::{ErrorKind, SecretAddress, SecretValue, Target, TargetContext};
use tenure_target_exec::{ExecConfig, ExecTarget};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/password_file_target.py")
}

fn config(state: &Path) -> ExecConfig {
    ExecConfig {
        command: vec![example().display().to_string(), state.display().to_string()],
        timeout: Duration::from_secs(20),
        env: Default::default(),
        working_dir: None,
        narrow: true,
    }
}

fn init_user(state: &Path, user: &str, password: &str, privileges: &[&str]) {
    let mut child = Command::new(example())
        .arg(state)
        .args(["--init", user])
        .args(privileges)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

fn logs_in(state: &Path, user: &str, password: &str) -> bool {
    let mut child = Command::new(example())
        .arg(state)
        .args(["--check", user])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("write");
    child.wait().expect("wait").success()
}

fn credential(user: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{user}","password":"{password}"}}"#
    ))
}

fn address() -> SecretAddress {
    "local:apps/legacy".parse().expect("address")
}

#[tokio::test]
async fn the_example_program_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("service.json");
    init_user(
        &state,
        "app",
        "initial-password",
        &["read:orders", "write:orders", "admin"],
    );
    let target = ExecTarget::new("legacy", config(&state));
    let scopes = vec!["read:orders".to_owned()];
    let report = run_target_suite(
        &target,
        &address(),
        credential("app", "initial-password"),
        &scopes,
    )
    .await
    .expect("conformance");
    assert_eq!(report.narrowed, Some(vec!["read:orders".to_owned()]));
    assert_eq!(report.revoked_proof.detail, "refused: account disabled");
    // Checked independently of the target: the old password was retired, the account is disabled.
    assert!(!logs_in(&state, "app", "initial-password"));
    let rotated: serde_json::Value = serde_json::from_str(report.rotated.expose()).expect("json");
    assert!(!logs_in(
        &state,
        "app",
        rotated["password"].as_str().expect("password")
    ));
    // The service's file holds no password.
    let text = std::fs::read_to_string(&state).expect("state");
    assert!(!text.contains("initial-password"));
    assert!(!text.contains(rotated["password"].as_str().expect("password")));
}

#[tokio::test]
async fn secrets_never_reach_argv_or_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spy = dir.path().join("spy.sh");
    let seen = dir.path().join("seen.txt");
    std::fs::write(
        &spy,
        format!(
            "#!/bin/sh\n{{ echo \"$0 $*\"; env; }} > {}\ncat > /dev/null\necho '{{\"protocol\":1,\"ok\":true,\"proof\":{{\"method\":\"spy\",\"detail\":\"ok\"}}}}'\n",
            seen.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&spy, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    // SAFETY of the check: a variable of the parent that must not be inherited.
    let mut cfg = config(&dir.path().join("unused"));
    cfg.command = vec![spy.display().to_string()];
    cfg.env.insert("SITE".into(), "eu-1".into());
    let target = ExecTarget::new("spy", cfg);
    let secret = credential("app", "do-not-leak-this-password");
    let ctx = TargetContext {
        address: &address(),
        run_id: "r1",
        scopes: &[],
    };
    target.test(ctx, &secret).await.expect("test");
    let text = std::fs::read_to_string(&seen).expect("seen");
    assert!(!text.contains("do-not-leak-this-password"), "{text}");
    assert!(text.contains("SITE=eu-1"));
    assert!(
        !text.contains("CARGO_MANIFEST_DIR"),
        "the environment was inherited: {text}"
    );
}

#[tokio::test]
async fn a_slow_program_times_out_as_retryable() {
    let mut cfg = config(Path::new("unused"));
    cfg.command = vec!["sh".into(), "-c".into(), "sleep 5".into()];
    cfg.timeout = Duration::from_millis(200);
    let target = ExecTarget::new("slow", cfg);
    let started = std::time::Instant::now();
    let ctx = TargetContext {
        address: &address(),
        run_id: "r",
        scopes: &[],
    };
    let err = target
        .test(ctx, &credential("a", "b"))
        .await
        .expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert!(err.message().contains("timed out after 200ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn exit_codes_and_reported_errors_map_to_kinds() {
    let ctx_address = address();
    let ctx = TargetContext {
        address: &ctx_address,
        run_id: "r",
        scopes: &[],
    };
    let mut cfg = config(Path::new("unused"));
    cfg.command = vec!["sh".into(), "-c".into(), "cat >/dev/null; exit 3".into()];
    let err = ExecTarget::new("t", cfg.clone())
        .test(ctx, &credential("a", "b"))
        .await
        .expect_err("exit 3");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert!(
        err.message().contains("exited with exit status: 3"),
        "{err}"
    );

    cfg.command = vec![
        "sh".into(),
        "-c".into(),
        r#"cat >/dev/null; echo '{"protocol":1,"ok":false,"error":{"kind":"unauthorized","message":"password refused"}}'"#.into(),
    ];
    let err = ExecTarget::new("t", cfg.clone())
        .test(ctx, &credential("a", "b"))
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.message().ends_with("test: password refused"), "{err}");

    cfg.command = vec![
        "sh".into(),
        "-c".into(),
        r#"cat >/dev/null; echo '{"protocol":2,"ok":true}'"#.into(),
    ];
    let err = ExecTarget::new("t", cfg)
        .test(ctx, &credential("a", "b"))
        .await
        .expect_err("version");
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert!(
        err.message().contains("speaks protocol 2, expected 1"),
        "{err}"
    );
}
