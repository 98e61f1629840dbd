//! The `[server]` and `[schedule]` sections: errors name file, line and key.

use super::*;

#[test]
fn server_and_schedule_errors_name_file_line_and_key() {
    let folder = Folder::main_only(
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
    folder.assert_errors(&[
        "{dir}/tenure.toml:2:10: server.listen: expected an address like 127.0.0.1:8787: invalid socket address syntax",
        "{dir}/tenure.toml:3:18: server.max_body_bytes: must be between 1024 and 16777216",
        "{dir}/tenure.toml:4:19: server.max_connections: must be between 1 and 65536",
        "{dir}/tenure.toml:5:17: server.max_in_flight: must be between 1 and 4096",
        "{dir}/tenure.toml:8:27: schedule.windows[1]: invalid window \"2am-4am\": expected HH:MM-HH:MM (UTC)",
        "{dir}/tenure.toml:9:14: schedule.blackouts[0]: `until` must be after `from`",
        "{dir}/tenure.toml:12:21: schedule.providers.vault: unknown provider \"vault\" (configured: local)",
        "{dir}/tenure.toml:13:14: schedule.providers.vault.per_second: must be a positive number",
    ]);
}
