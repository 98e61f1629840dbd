//! Config loading tests: every example parses, and error messages are checked word for word.

use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

fn errors(path: &Path) -> Vec<String> {
    match load(path) {
        Ok(_) => panic!("expected errors"),
        Err(err) => err.lines(),
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_demo_config_loads() {
    let config = load(&repo_root().join("config/tenure.toml")).expect("demo config");
    assert_eq!(config.governance.records.len(), 5);
    assert_eq!(config.providers.len(), 1);
    assert!(config.state_dir.ends_with(".tenure"));
}

#[test]
fn every_example_config_loads() {
    let examples = repo_root().join("config/examples");
    let Ok(entries) = std::fs::read_dir(&examples) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml")
            && let Err(err) = load(&path)
        {
            panic!("{}: {err}", path.display());
        }
    }
}

const MAIN: &str = r#"[tenure]
stat_dir = "x"
include = ["gov/*.toml"]

[defaults]
on_orphan = "rotate"

[providers.local]
type = "local"
path = "vault.tvault"

[providers.cloud]
type = "cloudvault"

[targets.gen]
type = "generate"
length = 8
"#;

const RECORDS: &str = r#"[[records]]
id = "a"
secrets = "local:db/a"
target = "gen"
owner = "alice"
purpose = "p"
max_age = "9x"
approval = { by = "ciso", at = 2026-01-01T00:00:00Z }

[[records]]
id = "b"
secrets = "vault:db/b"
target = "pg"
owner = "alice"
purpose = "p"
max_age = "10d"
renew_before = "10d"
approval = { by = "ciso", at = 2026-01-01T00:00:00Z }

[[records]]
id = "b"
secrets = "local:x"
target = "gen"
owner = "alice"
purpose = "p"
approval = { by = "ciso", at = 2026-01-01 }

[[records]]
id = "c"
secrets = "local:db/[a"
target = "gen"
owner = "alice"
purpose = "p"
schedule = "61 * * * *"
approval = { by = "ciso", at = 2026-01-01 }

[[records]]
id = "c2"
secrets = "local:db/c2"
target = "gen"
owner = "alice"
purpose = "p"
approval = { by = "ciso", at = 2026-01-01T00:00:00 }

[[records]]
id = "d"
secrets = "local:db/d"
target = "gen"
owner = "alice"
approval = { by = "ciso", at = 2026-01-01 }

[[workloads]]
id = "w"
status = "moved"

[[wrkloads]]
id = "x"
"#;

#[rustfmt::skip]
#[test]
fn every_error_is_reported_with_file_line_column_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(dir.path(), "tenure.toml", MAIN);
    write(dir.path(), "gov/records.toml", RECORDS);
    let main_name = main.display().to_string();
    let gov = dir.path().join("gov/records.toml").display().to_string();
    let expected = vec![
        format!("{main_name}:2:1: tenure.stat_dir: unknown field `stat_dir`, expected one of `state_dir`, `state_url`, `audit_log`, `audit_key`, `include`, `reconcile_interval`, `lease_ttl`, `concurrency`, `attest_retention`"),
        format!("{main_name}:6:13: defaults.on_orphan: an orphan has no record, hence no target to rotate it with; use revoke, escalate or report"),
        format!("{main_name}:13:8: providers.cloud.type: unknown provider type \"cloudvault\", expected one of `local`, `vault`, `aws_secrets_manager`, `azure_key_vault`"),
        format!("{main_name}:15:1: targets.gen: length must be between 16 and 4096, found 8"),
        format!("{gov}:7:11: records[0].max_age: invalid duration \"9x\": unknown time unit \"x\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"),
        format!("{gov}:12:11: records[1].secrets: unknown provider \"vault\" (configured: local)"),
        format!("{gov}:13:10: records[1].target: unknown target \"pg\" (configured: gen)"),
        format!("{gov}:17:16: records[1].renew_before: renew_before (10days) must be shorter than max_age (10days)"),
        format!("{gov}:21:6: records[2].id: duplicate record id \"b\" (first defined at {gov}:10:1)"),
        format!("{gov}:34:12: records[3].schedule: invalid cron expression \"61 * * * *\": Component error: Number out of bounds."),
        format!("{gov}:43:32: records[4].approval.at: invalid date-time 2026-01-01T00:00:00: expected a date (2026-01-31) or a date-time with an offset (2026-01-31T09:00:00Z)"),
        format!("{gov}:45:1: records[5]: missing field `purpose`"),
        format!("{gov}:54:10: workloads[0].status: a moved workload needs `since` (when it moved), to tell credentials issued before the move from those issued after"),
        format!("{gov}:56:3: wrkloads: unknown field `wrkloads`, expected one of `records`, `owners`, `workloads`"),
    ];
    let got = errors(&main);
    assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
}

#[test]
fn syntax_errors_name_the_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(dir.path(), "tenure.toml", "[tenure]\nstate_dir = \"x\n");
    let got = errors(&main);
    assert_eq!(
        got,
        vec![format!(
            "{}:2:15: invalid basic string, expected `\"`",
            main.display()
        )]
    );
}

#[test]
fn credentials_must_come_from_env_or_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(
        dir.path(),
        "tenure.toml",
        "[providers.local]\ntype = \"local\"\npath = \"v\"\nkey = \"inline-secret\"\n",
    );
    let got = errors(&main);
    assert!(
        !got.concat().contains("inline-secret"),
        "the value leaked: {got:?}"
    );
    assert_eq!(
        got,
        vec![format!(
            "{}:4:7: providers.local.key: credentials are never written inline; use {{ env = \"VAR\" }} or {{ file = \"path\" }}",
            main.display()
        )]
    );
}

#[test]
fn relative_paths_resolve_against_the_config_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(
        dir.path(),
        "sub/tenure.toml",
        "[tenure]\nstate_dir = \"state\"\n[providers.local]\ntype = \"local\"\npath = \"v.tvault\"\n",
    );
    let config = load(&main).expect("config");
    assert_eq!(config.state_dir, dir.path().join("sub/state"));
    assert_eq!(config.audit_log, dir.path().join("sub/state/audit.jsonl"));
}

#[test]
fn postgres_scopes_are_checked_and_made_canonical_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = r#"[providers.local]
type = "local"
path = "v"

[targets.pg]
type = "postgres"
admin_url = { env = "PG_ADMIN" }

[[records]]
id = "a"
secrets = "local:db/a"
target = "pg"
account = "app"
owner = "o"
purpose = "p"
scopes = ["select on public.orders", "selekt on public.orders"]
approval = { by = "c", at = 2026-01-01 }
"#;
    let main = write(dir.path(), "tenure.toml", text);
    assert_eq!(
        errors(&main),
        vec![format!(
            "{}:16:38: records[0].scopes[1]: invalid PostgreSQL scope \"selekt on public.orders\": SELEKT is not a table privilege (SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER)",
            main.display()
        )]
    );
    let fixed = write(
        dir.path(),
        "tenure.toml",
        &text.replace(", \"selekt on public.orders\"", ""),
    );
    let config = load(&fixed).expect("config");
    assert_eq!(
        config.governance.records[0].scopes,
        vec!["SELECT ON public.orders"]
    );
}

#[test]
fn redis_scopes_are_checked_and_made_canonical_at_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = r#"[providers.local]
type = "local"
path = "v"

[targets.cache]
type = "redis"
admin_url = { env = "REDIS_ADMIN" }

[[records]]
id = "a"
secrets = "local:cache/a"
target = "cache"
account = "app"
owner = "o"
purpose = "p"
scopes = ["+@READ", "%r~cache:*", "(~tmp:* +DEL)", "-keys"]
approval = { by = "c", at = 2026-01-01 }
"#;
    let main = write(dir.path(), "tenure.toml", text);
    assert_eq!(
        errors(&main),
        vec![format!(
            "{}:16:52: records[0].scopes[3]: \"-keys\" is a deny rule, not a privilege: narrowing keeps every deny rule a user has",
            main.display()
        )]
    );
    let fixed = write(dir.path(), "tenure.toml", &text.replace(", \"-keys\"", ""));
    let config = load(&fixed).expect("config");
    assert_eq!(
        config.governance.records[0].scopes,
        vec!["+@read", "%R~cache:*", "(+del ~tmp:*)"]
    );
}

#[rustfmt::skip]
#[test]
fn leases_need_a_vault_provider_and_plain_prefixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(dir.path(), "tenure.toml", r#"[tenure]
include = ["gov/*.toml"]

[providers.local]
type = "local"
path = "vault.tvault"

[targets.gen]
type = "generate"
"#);
    write(dir.path(), "gov/records.toml", r#"[[records]]
id = "a"
secrets = "local:db/a"
target = "gen"
owner = "alice"
purpose = "p"
leases = ["database/creds/a", "database/../sys"]
approval = { by = "ciso", at = 2026-01-01 }
"#);
    let gov = dir.path().join("gov/records.toml").display().to_string();
    let expected = vec![
        format!("{gov}:7:11: records[0].leases: provider \"local\" (type local) has no leases; only `vault` providers do"),
        format!("{gov}:7:31: records[0].leases[1]: invalid lease prefix \"database/../sys\": expected a path such as \"database/creds/orders\""),
    ];
    let got = errors(&main);
    assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
}

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

#[rustfmt::skip]
#[test]
fn attestation_settings_are_checked_word_for_word() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(dir.path(), "tenure.toml", r#"[defaults]
attest_every = "an hour"
on_scope_missing = "rotate"
on_attestation_unavailable = "report"

[providers.local]
type = "local"
path = "vault.tvault"

[targets.gen]
type = "generate"
discover = { include = ["app_*"] }

[targets.pg]
type = "postgres"
admin_url = { env = "PG" }
attest = { concurrency = 0 }
discover = { include = ["app_[*"] }
on_unmanaged = "disable"

[targets.pg2]
type = "postgres"
admin_url = { env = "PG" }
on_unmanaged = "escalate"

[[records]]
id = "a"
secrets = "local:db/a"
target = "pg"
account = "app"
owner = "alice"
purpose = "p"
attest_every = "off"
on_retired_credential_alive = "revoke"
on_owner_left = "retire"
approval = { by = "ciso", at = 2026-01-01 }
"#);
    let file = main.display().to_string();
    let expected = vec![
        format!("{file}:2:16: defaults.attest_every: invalid duration \"an hour\": expected number at 0 (or \"off\" for never)"),
        format!("{file}:12:12: targets.gen.discover: this target cannot list its accounts; discovery works with postgres, mysql, redis and aws_iam targets"),
        format!("{file}:17:26: targets.pg.attest.concurrency: must be between 1 and 256"),
        format!("{file}:18:25: targets.pg.discover.include[0]: invalid glob \"app_[*\": unclosed character class; missing ']'"),
        format!("{file}:24:16: targets.pg2.on_unmanaged: set `discover` too: unmanaged accounts are found by discovery"),
        format!("{file}:34:31: records[0].on_retired_credential_alive: \"revoke\" is not allowed here; expected one of retire, escalate, report"),
        format!("{file}:35:17: records[0].on_owner_left: \"retire\" is not allowed here; expected one of revoke, rotate, escalate, report"),
    ];
    let got = errors(&main);
    assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
}

#[test]
fn attestation_defaults_and_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(
        dir.path(),
        "tenure.toml",
        r#"[defaults]
attest_every = "30m"
on_scope_missing = "report"

[providers.local]
type = "local"
path = "vault.tvault"

[targets.pg]
type = "postgres"
admin_url = { env = "PG" }
discover = { exclude = ["ci_*"] }

[[records]]
id = "a"
secrets = "local:db/a"
target = "pg"
account = "app_a"
owner = "alice"
purpose = "p"
approval = { by = "ciso", at = 2026-01-01 }

[[records]]
id = "b"
secrets = "local:db/b"
target = "pg"
account = "app_*"
owner = "alice"
purpose = "p"
attest_every = "0s"
on_credential_rejected = "escalate"
approval = { by = "ciso", at = 2026-01-01 }
"#,
    );
    let config = load(&main).expect("config");
    let records = &config.governance.records;
    assert_eq!(
        records[0].attest_every,
        Some(std::time::Duration::from_secs(1800))
    );
    assert_eq!(records[1].attest_every, None);
    assert_eq!(
        records[0].reactions.scope_missing,
        crate::governance::Action::Report
    );
    assert_eq!(
        records[1].reactions.credential_rejected,
        crate::governance::Action::Escalate
    );
    let pg = &config.target_settings["pg"];
    assert_eq!(pg.attest.concurrency, Some(4));
    let discover = pg.discover.as_ref().expect("discover");
    assert!(discover.selects("app_orders") && !discover.selects("ci_runner"));
    assert_eq!(pg.on_unmanaged, UnmanagedAction::Report);
}

#[rustfmt::skip]
#[test]
fn a_record_names_the_account_it_governs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = write(dir.path(), "tenure.toml", r#"[providers.local]
type = "local"
path = "vault.tvault"

[targets.pg]
type = "postgres"
admin_url = { env = "PG" }

[targets.iam]
type = "aws_iam"

[targets.gen]
type = "generate"

[[records]]
id = "missing"
secrets = "local:db/a"
target = "pg"
owner = "o"
purpose = "p"
approval = { by = "c", at = 2026-01-01 }

[[records]]
id = "iam-bad"
secrets = "local:iam/a"
target = "iam"
account = "deploy bot"
owner = "o"
purpose = "p"
approval = { by = "c", at = 2026-01-01 }

[[records]]
id = "gen"
secrets = "local:gen/a"
target = "gen"
account = "x"
owner = "o"
purpose = "p"
approval = { by = "c", at = 2026-01-01 }

[[records]]
id = "glob-bad"
secrets = "local:db/b"
target = "pg"
account = "app_[*"
owner = "o"
purpose = "p"
approval = { by = "c", at = 2026-01-01 }
"#);
    let file = main.display().to_string();
    let expected = vec![
        format!("{file}:18:10: records[0].account: missing field `account`: target \"pg\" (type postgres) acts on accounts; name the one this record governs (a name or a glob), so that a value naming another is refused"),
        format!("{file}:27:11: records[1].account: invalid account \"deploy bot\": ' ' cannot be in an IAM user name"),
        format!("{file}:36:11: records[2].account: target \"gen\" (type generate) has no accounts; remove `account`"),
        format!("{file}:45:11: records[3].account: invalid account glob \"app_[*\": unclosed character class; missing ']'"),
    ];
    let got = errors(&main);
    assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
    let fixed = write(dir.path(), "tenure.toml", &std::fs::read_to_string(&main).expect("read")
        .replace("target = \"pg\"\nowner", "target = \"pg\"\naccount = \"app\"\nowner")
        .replace("deploy bot", "deploy-bot")
        .replace("account = \"x\"\n", "")
        .replace("app_[*", "app_*"));
    let config = load(&fixed).expect("config");
    let records = &config.governance.records;
    assert!(records[0].approves_account("app") && !records[0].approves_account("postgres"));
    assert!(records[3].approves_account("app_orders") && !records[3].approves_account("admin"));
}
