//! A full rotation and revocation at TRACE level: no secret value may reach
//! the logs, the audit trail or the state store.

use crate::common::{Demo, stderr, traced};

#[test]
fn no_secret_value_reaches_logs_audit_or_state() {
    let demo = Demo::new();
    let paths = [
        "db/orders",
        "api/payments-token",
        "legacy/ftp-password",
        "demo/reports-token",
        "vendor/sftp-key",
        "tmp/forgotten-key",
    ];
    let before: Vec<String> = paths.iter().map(|p| demo.get(p)).collect();

    let out = traced(demo.command(&["run", "--once"]));
    let rotate = traced(demo.command(&["rotate", "local:demo/reports-token"]));
    let mut logs = stderr(&out);
    logs.push_str(&stderr(&rotate));
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "not at trace level"
    );

    let after: Vec<String> = ["db/orders", "demo/reports-token", "vendor/sftp-key"]
        .iter()
        .map(|p| demo.get(p))
        .collect();
    let audit = std::fs::read_to_string(demo.audit()).expect("audit");
    let state = std::fs::read(demo.state().join("state.db")).expect("state");
    let state = String::from_utf8_lossy(&state);
    for value in before.iter().chain(&after) {
        assert!(value.len() >= 32, "not a captured value");
        assert!(
            !logs.contains(value.as_str()),
            "a secret value reached the logs"
        );
        assert!(
            !audit.contains(value.as_str()),
            "a secret value reached the audit trail"
        );
        assert!(
            !state.contains(value.as_str()),
            "a secret value reached the state store"
        );
    }
}
