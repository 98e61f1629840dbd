//! Providers: credentials come from env or a file, never inline; leases
//! need a vault provider and plain prefixes.

use super::*;

#[test]
fn credentials_must_come_from_env_or_file() {
    let folder = Folder::main_only(
        "[providers.local]\ntype = \"local\"\npath = \"v\"\nkey = \"inline-secret\"\n",
    );
    let got = folder.errors();
    assert!(
        !got.concat().contains("inline-secret"),
        "the value leaked: {got:?}"
    );
    folder.assert_errors(&[
        "{dir}/tenure.toml:4:7: providers.local.key: credentials are never written inline; use { env = \"VAR\" } or { file = \"path\" }",
    ]);
}

#[rustfmt::skip]
#[test]
fn leases_need_a_vault_provider_and_plain_prefixes() {
    Folder::with(&[
        ("tenure.toml", r#"[tenure]
include = ["gov/*.toml"]

[providers.local]
type = "local"
path = "vault.tvault"

[targets.gen]
type = "generate"
"#),
        ("gov/records.toml", r#"[[records]]
id = "a"
secrets = "local:db/a"
target = "gen"
owner = "alice"
purpose = "p"
leases = ["database/creds/a", "database/../sys"]
approval = { by = "ciso", at = 2026-01-01 }
"#),
    ])
    .assert_errors(&[
        "{dir}/gov/records.toml:7:11: records[0].leases: provider \"local\" (type local) has no leases; only `vault` providers do",
        "{dir}/gov/records.toml:7:31: records[0].leases[1]: invalid lease prefix \"database/../sys\": expected a path such as \"database/creds/orders\"",
    ]);
}
