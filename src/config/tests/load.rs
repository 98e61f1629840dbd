//! Loading: every shipped config loads, relative paths resolve against the
//! config folder, and every problem in every file is reported at once,
//! each with file:line:column and key.

use super::*;

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

#[test]
fn relative_paths_resolve_against_the_config_folder() {
    let folder = Folder::with(&[(
        "sub/tenure.toml",
        "[tenure]\nstate_dir = \"state\"\n[providers.local]\ntype = \"local\"\npath = \"v.tvault\"\n",
    )]);
    let config = load(&folder.path("sub/tenure.toml")).expect("config");
    assert_eq!(config.state_dir, folder.path("sub/state"));
    assert_eq!(config.audit_log, folder.path("sub/state/audit.jsonl"));
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
    Folder::with(&[("tenure.toml", MAIN), ("gov/records.toml", RECORDS)]).assert_errors(&[
        "{dir}/tenure.toml:2:1: tenure.stat_dir: unknown field `stat_dir`, expected one of `state_dir`, `state_url`, `audit_log`, `audit_key`, `include`, `reconcile_interval`, `lease_ttl`, `concurrency`, `attest_retention`",
        "{dir}/tenure.toml:6:13: defaults.on_orphan: an orphan has no record, hence no target to rotate it with; use revoke, escalate or report",
        "{dir}/tenure.toml:13:8: providers.cloud.type: unknown provider type \"cloudvault\", expected one of `local`, `vault`, `aws_secrets_manager`, `azure_key_vault`",
        "{dir}/tenure.toml:15:1: targets.gen: length must be between 16 and 4096, found 8",
        "{dir}/gov/records.toml:7:11: records[0].max_age: invalid duration \"9x\": unknown time unit \"x\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)",
        "{dir}/gov/records.toml:12:11: records[1].secrets: unknown provider \"vault\" (configured: local)",
        "{dir}/gov/records.toml:13:10: records[1].target: unknown target \"pg\" (configured: gen)",
        "{dir}/gov/records.toml:17:16: records[1].renew_before: renew_before (10days) must be shorter than max_age (10days)",
        "{dir}/gov/records.toml:21:6: records[2].id: duplicate record id \"b\" (first defined at {dir}/gov/records.toml:10:1)",
        "{dir}/gov/records.toml:34:12: records[3].schedule: invalid cron expression \"61 * * * *\": Component error: Number out of bounds.",
        "{dir}/gov/records.toml:43:32: records[4].approval.at: invalid date-time 2026-01-01T00:00:00: expected a date (2026-01-31) or a date-time with an offset (2026-01-31T09:00:00Z)",
        "{dir}/gov/records.toml:45:1: records[5]: missing field `purpose`",
        "{dir}/gov/records.toml:54:10: workloads[0].status: a moved workload needs `since` (when it moved), to tell credentials issued before the move from those issued after",
        "{dir}/gov/records.toml:56:3: wrkloads: unknown field `wrkloads`, expected one of `records`, `owners`, `workloads`",
    ]);
}

#[test]
fn syntax_errors_name_the_position() {
    Folder::main_only("[tenure]\nstate_dir = \"x\n")
        .assert_errors(&["{dir}/tenure.toml:2:15: invalid basic string, expected `\"`"]);
}
