//! Providers: credentials come from env or a file, never inline; leases
//! need a vault provider and plain prefixes.

use super::*;

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
