//! Black-box tests of the `tenure` binary on the embedded demo.

use serde_json::Value;

use crate::common;
use crate::common::service::free_port;
use crate::common::{Demo, spawn_reading_stderr, stderr, stdout, tenure, with_stdin};

fn plan(demo: &Demo) -> Vec<Value> {
    let out = demo.ok(&["plan", "--format", "json"]);
    serde_json::from_str(&stdout(&out)).expect("plan JSON")
}

fn entry<'a>(plan: &'a [Value], secret: &str) -> &'a Value {
    plan.iter()
        .find(|e| e["secret"] == secret)
        .unwrap_or_else(|| panic!("{secret} not in plan"))
}

fn reasons(entry: &Value) -> Vec<&str> {
    entry["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| r.as_str().expect("reason"))
        .collect()
}

#[test]
fn check_config_accepts_the_demo() {
    let demo = Demo::new();
    let out = demo.ok(&["check-config"]);
    assert!(
        stdout(&out)
            .contains("OK (3 files, 1 providers, 1 targets, 5 records, 5 owners, 5 workloads)")
    );
    // It touched nothing: no vault, no state.
    assert!(!demo.state().exists());
}

#[test]
fn check_config_reports_errors_one_per_line_with_exit_2() {
    let demo = Demo::new();
    demo.edit(
        "reconcile_interval = \"5m\"",
        "reconcile_interval = \"5 parsecs\"",
    );
    demo.edit("length = 40", "length = 4");
    let out = demo.run(&["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    let file = demo.config.display().to_string();
    // Where the demo keeps its target table (the file's comments change).
    let text = std::fs::read_to_string(&demo.config).expect("config");
    let line_of = |start: &str| {
        1 + text
            .lines()
            .position(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starts with {start}"))
    };
    let target_line = line_of("[targets.generated]");
    let interval_line = line_of("reconcile_interval = ");
    assert_eq!(
        lines,
        vec![
            format!(
                "{file}:{interval_line}:22: tenure.reconcile_interval: invalid duration \"5 parsecs\": unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"
            ),
            format!(
                "{file}:{target_line}:1: targets.generated: length must be between 16 and 4096, found 4"
            ),
        ]
    );
}

#[test]
fn plan_json_covers_every_decision() {
    let demo = Demo::new();
    let plan = plan(&demo);
    let expect = [
        ("local:db/orders", "rotate", vec!["max_age_exceeded"]),
        ("local:api/payments-token", "revoke", vec!["owner_left"]),
        (
            "local:legacy/ftp-password",
            "revoke",
            vec!["workload_decommissioned"],
        ),
        ("local:tmp/forgotten-key", "escalate", vec!["orphan"]),
        ("local:demo/reports-token", "compliant", vec![]),
        (
            "local:vendor/sftp-key",
            "compliant",
            vec!["exception_active"],
        ),
    ];
    for (secret, decision, why) in expect {
        let e = entry(&plan, secret);
        assert_eq!(e["decision"], decision, "{secret}: {e}");
        assert_eq!(reasons(e), why, "{secret}: {e}");
    }
    assert_eq!(
        entry(&plan, "local:vendor/sftp-key")["waived"],
        serde_json::json!(["max_age_exceeded"])
    );
    assert!(entry(&plan, "local:demo/reports-token")["next_due"].is_string());
    assert_eq!(plan.len(), 6);
}

#[test]
fn run_once_acts_on_every_decision_and_the_trail_verifies() {
    let demo = Demo::new();
    let before = demo.get("db/orders");
    let log = stderr(&demo.ok(&["run", "--once"]));
    for sentence in [
        "local:db/orders must be rotated: max_age_exceeded.",
        "local:api/payments-token must be revoked: owner_left.",
        "local:legacy/ftp-password must be revoked: workload_decommissioned.",
        "local:tmp/forgotten-key needs a person: orphan.",
        "local:demo/reports-token is compliant.",
        "local:vendor/sftp-key is compliant (exception_active).",
        "Rotated: the new credential was tested and promoted",
        "Revoked: the credential is refused and disabled in the vault.",
    ] {
        assert!(log.contains(sentence), "log lacks {sentence:?}:\n{log}");
    }
    let after = demo.get("db/orders");
    assert_ne!(before, after);
    assert_eq!(after.len(), 40);

    let plan = plan(&demo);
    assert_eq!(entry(&plan, "local:db/orders")["decision"], "compliant");
    assert_eq!(
        reasons(entry(&plan, "local:api/payments-token")),
        vec!["disabled"]
    );
    assert_eq!(
        reasons(entry(&plan, "local:legacy/ftp-password")),
        vec!["disabled"]
    );
    let refused = demo.run(&["local", "get", "api/payments-token"]);
    assert!(!refused.status.success());

    demo.ok(&["audit", "verify"]);
    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    // The demo's target generates values nothing outside the vault
    // accepts: the proofs say so, and claim no login.
    for kind in [
        "\"kind\":\"decision\"",
        "\"kind\":\"verification\"",
        "\"check\":\"vault_refuses_read\"",
        "\"no_external_acceptor\":true",
        "\"check\":\"format_check\"",
        "\"kind\":\"attestation_pass\"",
    ] {
        assert!(trail.contains(kind), "trail lacks {kind}");
    }
    for claim in ["credential_refused", "new_credential_works"] {
        assert!(!trail.contains(claim), "the trail claims {claim}");
    }

    // A second pass has nothing left to do.
    let again = stderr(&demo.ok(&["run", "--once"]));
    assert!(again.contains("0 actions"), "{again}");
}

#[test]
fn audit_verify_names_the_first_tampered_line() {
    let demo = Demo::new();
    assert!(demo.run(&["run", "--once"]).status.success());
    let path = demo.audit();
    let text = std::fs::read_to_string(&path).expect("trail");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines.len() > 5);
    lines[3] = lines[3].replace("\"decision\":\"", "\"decision\":\"x");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let out = demo.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains(&format!("{}:4: ", path.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rotate_one_secret_by_address() {
    let demo = Demo::new();
    let before = demo.get("demo/reports-token");
    let out = demo.ok(&["rotate", "local:demo/reports-token"]);
    assert!(stdout(&out).contains("local:demo/reports-token: rotated"));
    assert_ne!(demo.get("demo/reports-token"), before);
    let missing = demo.run(&["rotate", "local:no/such"]);
    assert_eq!(missing.status.code(), Some(4), "{}", stderr(&missing));
}

#[test]
fn local_put_reads_the_value_from_stdin() {
    let demo = Demo::new();
    let out = with_stdin(
        demo.command(&["local", "put", "app/new", "--owner", "dana@example.com"]),
        "s3cr3t-from-stdin\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(demo.get("app/new"), "s3cr3t-from-stdin");
    let list = stdout(&demo.run(&["local", "list"]));
    assert!(list.lines().any(|l| l == "app/new"), "{list}");
    assert!(list.lines().any(|l| l == "db/orders"), "{list}");
}

#[test]
fn run_keeps_running_on_schedule_and_stops_cleanly_on_sigterm() {
    use std::time::{Duration, Instant};

    let demo = Demo::new();
    demo.edit("grace = \"30s\"", "grace = \"2s\"");
    let (mut child, rx) = spawn_reading_stderr(demo.command(&["run"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = Vec::new();
    // The first pass rotates db/orders; the service wakes when its grace ends and retires the old value.
    while !log
        .iter()
        .any(|l: &String| l.contains("Retired the previous credential."))
    {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no retirement within 30 s:\n{}", log.join("\n")));
        log.push(line);
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert_eq!(exit.code(), Some(0), "{}", log.join("\n"));
    assert!(
        log.iter()
            .any(|l| l.contains("Sleeping until the next due time."))
    );
}

#[test]
fn a_refused_vault_is_one_log_line_naming_the_provider_and_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tenure.toml");
    // Ports nothing listens on.
    let vault = free_port();
    let aws = free_port();
    // One record in each vault, alike but for its provider.
    let records: String = ["vault", "aws"]
        .iter()
        .map(|provider| {
            format!(
                r#"
[[records]]
id = "in-{provider}"
secrets = "{provider}:example"
target = "generated"
owner = "platform@example.com"
purpose = "log test"
max_age = "30d"
approval = {{ by = "ciso@example.com", at = 2026-11-01T09:00:00Z }}
"#
            )
        })
        .collect();
    std::fs::write(
        &config,
        r#"
[tenure]
state_dir = "state"

[providers.vault]
type = "vault"
address = { env = "TEST_VAULT_ADDR" }
auth = { method = "token", token = { env = "TEST_VAULT_TOKEN" } }
mount = "secret"

[providers.aws]
type = "aws_secrets_manager"

[targets.generated]
type = "generate"
"#
        .to_owned()
            + &records,
    )
    .expect("write config");
    let out = tenure(&config, &["plan"])
        .env("TEST_VAULT_ADDR", format!("http://127.0.0.1:{vault}"))
        .env("TEST_VAULT_TOKEN", "not-a-real-token")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{aws}"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("run tenure");
    let log = stderr(&out);
    let loud: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .collect();
    assert_eq!(loud.len(), 2, "one line per provider:\n{log}");
    for provider in ["vault", "aws"] {
        let line = loud
            .iter()
            .find(|l| l.contains(&format!("provider={provider} ")))
            .unwrap_or_else(|| panic!("no line names provider {provider}:\n{log}"));
        assert!(line.contains("Connection refused"), "{line}");
    }
    // The plan still lists both secrets, as unavailable rather than compliant.
    let plan = stdout(&out);
    assert!(
        plan.contains("vault:example") && plan.contains("aws:example"),
        "{plan}"
    );
    assert!(!plan.contains("compliant"), "{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_delivers_queued_notifications_before_it_exits() {
    let (url, seen) =
        common::receiver::webhook_receiver(std::time::Duration::from_millis(300)).await;
    let demo = Demo::new();
    demo.append("\n[notify]\nurl = { env = \"TENURE_TEST_NOTIFY_URL\" }\nmax_attempts = 3\n");

    let mut command = tokio::process::Command::from(demo.command(&["run", "--once"]));
    command.env("TENURE_TEST_NOTIFY_URL", &url);
    let out = command.output().await.expect("run tenure");
    assert!(out.status.success(), "run --once failed: {}", stderr(&out));

    // Read at once: the process has exited, nothing more will arrive. The
    // pass queued its notifications and ended long before a slow receiver
    // (and a retry after a 500) could take them all; they were delivered
    // anyway, because the exit waited for the queue to drain.
    let seen = seen.lock().expect("lock").clone();
    assert!(seen.len() >= 3, "{seen:#?}\n{}", stderr(&out));
    assert_eq!(
        seen[0].0, seen[1].0,
        "the refused first delivery was retried"
    );
    let delivered = |kind: &str, secret: &str| {
        seen.iter()
            .any(|(b, accepted)| *accepted && b["kind"] == kind && b["secret"] == secret)
    };
    for (kind, secret) in [
        ("revocation", "local:api/payments-token"),
        ("revocation", "local:legacy/ftp-password"),
    ] {
        assert!(
            delivered(kind, secret),
            "no {kind} of {secret} delivered: {seen:#?}\n{}",
            stderr(&out)
        );
    }
    // Every notification that was sent got through.
    for (body, _) in &seen {
        assert!(
            delivered(
                body["kind"].as_str().expect("kind"),
                body["secret"].as_str().expect("secret")
            ),
            "{body} was not delivered"
        );
    }
}
