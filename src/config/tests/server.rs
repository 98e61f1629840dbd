//! The `[server]` and `[schedule]` sections: errors name file, line and key.

use super::*;

#[test]
fn server_and_schedule_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(
        dir.path(),
        "tenure.toml",
        r#"[server]
listen = "localhost"
max_body_bytes = 10
max_connections = 0
max_in_flight = 5000

[schedule]
windows = ["02:00-04:00", "2am-4am"]
blackouts = [{ from = 2026-12-20, until = 2026-12-01, reason = "freeze" }]
jitter = "5m"

[schedule.providers.vault]
per_second = 0.0

[providers.local]
type = "local"
path = "vault.tvault"
"#,
    );
    let file = main.display().to_string();
    let expected = vec![
        format!(
            "{file}:2:10: server.listen: expected an address like 127.0.0.1:8787: invalid socket address syntax"
        ),
        format!("{file}:3:18: server.max_body_bytes: must be between 1024 and 16777216"),
        format!("{file}:4:19: server.max_connections: must be between 1 and 65536"),
        format!("{file}:5:17: server.max_in_flight: must be between 1 and 4096"),
        format!(
            "{file}:8:27: schedule.windows[1]: invalid window \"2am-4am\": expected HH:MM-HH:MM (UTC)"
        ),
        format!("{file}:9:14: schedule.blackouts[0]: `until` must be after `from`"),
        format!(
            "{file}:12:21: schedule.providers.vault: unknown provider \"vault\" (configured: local)"
        ),
        format!("{file}:13:14: schedule.providers.vault.per_second: must be a positive number"),
    ];
    let got = errors(&main);
    assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
}
