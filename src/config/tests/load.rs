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
