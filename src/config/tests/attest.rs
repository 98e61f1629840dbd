//! Attestation settings (defaults, per target, per record): checked word
//! for word, with their defaults and `off`.

use super::*;

#[rustfmt::skip]
#[test]
fn attestation_settings_are_checked_word_for_word() {
    let folder = Folder::main_only(r#"[defaults]
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
    folder.assert_errors(&[
        "{dir}/tenure.toml:2:16: defaults.attest_every: invalid duration \"an hour\": expected number at 0 (or \"off\" for never)",
        "{dir}/tenure.toml:12:12: targets.gen.discover: this target cannot list its accounts; discovery works with postgres, mysql, redis and aws_iam targets",
        "{dir}/tenure.toml:17:26: targets.pg.attest.concurrency: must be between 1 and 256",
        "{dir}/tenure.toml:18:25: targets.pg.discover.include[0]: invalid glob \"app_[*\": unclosed character class; missing ']'",
        "{dir}/tenure.toml:24:16: targets.pg2.on_unmanaged: set `discover` too: unmanaged accounts are found by discovery",
        "{dir}/tenure.toml:34:31: records[0].on_retired_credential_alive: \"revoke\" is not allowed here; expected one of retire, escalate, report",
        "{dir}/tenure.toml:35:17: records[0].on_owner_left: \"retire\" is not allowed here; expected one of revoke, rotate, escalate, report",
    ]);
}

#[test]
fn attestation_defaults_and_off() {
    let config = Folder::main_only(
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
    )
    .load();
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
