//! The exec target against its example program: the conformance suite,
//! secrets kept out of argv and environment, timeouts, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tenure_plugin_api::{
    ErrorKind, PluginError, Proof, SecretAddress, SecretValue, Target, TargetContext,
};
use tenure_target_exec::{ExecConfig, ExecTarget};
use tenure_testkit::run_target_suite;

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

/// Runs the example program on `state` with `args`, the password on its
/// stdin; whether it succeeded.
fn example_succeeds(state: &Path, args: &[&str], password: &str) -> bool {
    let mut child = Command::new(example())
        .arg(state)
        .args(args)
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

fn init_user(state: &Path, user: &str, password: &str, privileges: &[&str]) {
    let mut args = vec!["--init", user];
    args.extend_from_slice(privileges);
    assert!(example_succeeds(state, &args, password));
}

fn logs_in(state: &Path, user: &str, password: &str) -> bool {
    example_succeeds(state, &["--check", user], password)
}

fn credential(user: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{user}","password":"{password}"}}"#
    ))
}

/// A config whose program is `sh -c script`.
fn shell(script: impl Into<String>) -> ExecConfig {
    let mut cfg = config(Path::new("unused"));
    cfg.command = vec!["sh".into(), "-c".into(), script.into()];
    cfg
}

/// Runs `test` of a target with `cfg`, for a throwaway credential.
async fn test_with(cfg: ExecConfig) -> Result<Proof, PluginError> {
    let address = address();
    let ctx = TargetContext {
        address: &address,
        run_id: "r",
        scopes: &[],
    };
    ExecTarget::new("t", cfg)
        .test(ctx, &credential("a", "b"))
        .await
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
    let mut cfg = shell("sleep 5");
    cfg.timeout = Duration::from_millis(200);
    let started = std::time::Instant::now();
    let err = test_with(cfg).await.expect_err("timeout");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert!(err.message().contains("timed out after 200ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn exit_codes_and_reported_errors_map_to_kinds() {
    let err = test_with(shell("cat >/dev/null; exit 3"))
        .await
        .expect_err("exit 3");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert!(
        err.message().contains("exited with exit status: 3"),
        "{err}"
    );

    let err = test_with(shell(
        r#"cat >/dev/null; echo '{"protocol":1,"ok":false,"error":{"kind":"unauthorized","message":"password refused"}}'"#,
    ))
    .await
    .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(err.message().ends_with("test: password refused"), "{err}");

    let err = test_with(shell(r#"cat >/dev/null; echo '{"protocol":2,"ok":true}'"#))
        .await
        .expect_err("version");
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert!(
        err.message().contains("speaks protocol 2, expected 1"),
        "{err}"
    );
}

/// A program that writes `stderr_bytes` to stderr before it reads its
/// request, then answers a passing test.
fn flooding(stderr_bytes: usize, stdout_bytes: usize) -> ExecConfig {
    let mut cfg = shell(format!(
        "head -c {stderr_bytes} /dev/zero >&2; cat >/dev/null; head -c {stdout_bytes} /dev/zero; \
         echo '{{\"protocol\":1,\"ok\":true,\"proof\":{{\"method\":\"login\",\"detail\":\"accepted\"}}}}'"
    ));
    cfg.timeout = Duration::from_secs(10);
    cfg
}

#[tokio::test]
async fn a_program_that_floods_stderr_before_reading_still_answers() {
    let started = std::time::Instant::now();
    let proof = test_with(flooding(4 << 20, 0))
        .await
        .expect("4 MiB of stderr is drained, not a deadlock");
    assert_eq!(proof.detail, "accepted");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_oversized_response_is_refused_without_waiting_for_the_timeout() {
    let started = std::time::Instant::now();
    let err = test_with(flooding(0, 3 << 20))
        .await
        .expect_err("3 MiB of stdout");
    assert_eq!(err.kind(), ErrorKind::Permanent);
    assert!(err.message().contains("stdout is larger than"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A `MakeWriter` that keeps every log line.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn what_the_program_says_is_filtered_before_it_is_passed_on() {
    // The program echoes its whole request to stderr and puts the password,
    // a control sequence and a second line in its error message.
    let script = r#"
import json, sys
request = json.load(sys.stdin)
credential = json.loads(request["value"])
sys.stderr.write("request: " + json.dumps(request) + "\nsecond line\n")
message = "password " + credential["password"] + " refused\x1b[31m\nforged: audit line"
print(json.dumps({"protocol": 1, "ok": False, "error": {"kind": "unauthorized", "message": message}}))
"#;
    let mut cfg = config(Path::new("unused"));
    cfg.command = vec!["python3".into(), "-c".into(), script.into()];
    let password = "pw-7f3c9e2a-never-shown";
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let ctx_address = address();
    let ctx = TargetContext {
        address: &ctx_address,
        run_id: "r",
        scopes: &[],
    };
    let err = ExecTarget::new("t", cfg)
        .test(ctx, &credential("app", password))
        .await
        .expect_err("refused");
    let message = err.message();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert!(!message.contains(password), "{message}");
    assert!(message.contains("password [redacted] refused"), "{message}");
    assert!(!message.chars().any(char::is_control), "{message:?}");

    let logged = String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(
        logged.contains("The exec target wrote to stderr."),
        "{logged}"
    );
    assert!(logged.contains("stderr_bytes="), "{logged}");
    assert!(!logged.contains(password), "{logged}");
    assert!(
        !logged.contains("second line"),
        "only the first line: {logged}"
    );
}
