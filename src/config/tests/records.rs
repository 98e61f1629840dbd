//! Records: scopes checked and made canonical by their target at load, and
//! the account a record governs.

use super::*;

/// A config with one target, `name` (`table` is its table's body), and one
/// record on it approving `scopes`.
fn scoped(name: &str, table: &str, scopes: &str) -> String {
    format!(
        r#"[providers.local]
type = "local"
path = "v"

[targets.{name}]
{table}

[[records]]
id = "a"
secrets = "local:{name}/a"
target = "{name}"
account = "app"
owner = "o"
purpose = "p"
scopes = [{scopes}]
approval = {{ by = "c", at = 2026-01-01 }}
"#
    )
}

/// A target's scopes at load: `bad` refused with `error`, `good` kept in
/// the canonical form `canonical`.
struct ScopeCase {
    target: &'static str,
    table: &'static str,
    good: &'static str,
    bad: &'static str,
    error: &'static str,
    canonical: &'static [&'static str],
}

#[rustfmt::skip]
const SCOPE_CASES: [ScopeCase; 2] = [
    ScopeCase {
        target: "pg",
        table: "type = \"postgres\"\nadmin_url = { env = \"PG_ADMIN\" }",
        good: r#""select on public.orders""#,
        bad: r#""selekt on public.orders""#,
        error: "{dir}/tenure.toml:16:38: records[0].scopes[1]: invalid PostgreSQL scope \"selekt on public.orders\": SELEKT is not a table privilege (SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER)",
        canonical: &["SELECT ON public.orders"],
    },
    ScopeCase {
        target: "cache",
        table: "type = \"redis\"\nadmin_url = { env = \"REDIS_ADMIN\" }",
        good: r#""+@READ", "%r~cache:*", "(~tmp:* +DEL)""#,
        bad: r#""-keys""#,
        error: "{dir}/tenure.toml:16:52: records[0].scopes[3]: \"-keys\" is a deny rule, not a privilege: narrowing keeps every deny rule a user has",
        canonical: &["+@read", "%R~cache:*", "(+del ~tmp:*)"],
    },
];

#[test]
fn scopes_are_checked_and_made_canonical_at_load_by_their_target() {
    for case in &SCOPE_CASES {
        let (target, table) = (case.target, case.table);
        let scopes = format!("{}, {}", case.good, case.bad);
        let folder = Folder::main_only(&scoped(target, table, &scopes));
        assert_eq!(
            folder.errors(),
            folder.expected(&[case.error]),
            "target {target}"
        );
        folder.write("tenure.toml", &scoped(target, table, case.good));
        let config = folder.load();
        assert_eq!(
            config.governance.records[0].scopes, case.canonical,
            "target {target}"
        );
    }
}

#[rustfmt::skip]
#[test]
fn a_record_names_the_account_it_governs() {
    let folder = Folder::main_only(r#"[providers.local]
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
    folder.assert_errors(&[
        "{dir}/tenure.toml:18:10: records[0].account: missing field `account`: target \"pg\" (type postgres) acts on accounts; name the one this record governs (a name or a glob), so that a value naming another is refused",
        "{dir}/tenure.toml:27:11: records[1].account: invalid account \"deploy bot\": ' ' cannot be in an IAM user name",
        "{dir}/tenure.toml:36:11: records[2].account: target \"gen\" (type generate) has no accounts; remove `account`",
        "{dir}/tenure.toml:45:11: records[3].account: invalid account glob \"app_[*\": unclosed character class; missing ']'",
    ]);
    folder.write("tenure.toml", &folder.main_text()
        .replace("target = \"pg\"\nowner", "target = \"pg\"\naccount = \"app\"\nowner")
        .replace("deploy bot", "deploy-bot")
        .replace("account = \"x\"\n", "")
        .replace("app_[*", "app_*"));
    let config = folder.load();
    let records = &config.governance.records;
    assert!(records[0].approves_account("app") && !records[0].approves_account("postgres"));
    assert!(records[3].approves_account("app_orders") && !records[3].approves_account("admin"));
}

#[test]
fn an_owner_group_is_kept_and_an_empty_one_refused() {
    let text = scoped("gen", "type = \"generate\"", "")
        .replace("account = \"app\"\n", "")
        .replace(
            "owner = \"o\"",
            "owner = \"o\"\nowner_group = \"Payments-Owners\"",
        );
    let config = Folder::main_only(&text).load();
    let group = config.governance.records[0]
        .owner_group
        .as_ref()
        .expect("kept");
    assert_eq!(
        (group.name.as_str(), group.owner_left_at),
        ("Payments-Owners", None)
    );
    let empty = Folder::main_only(&text.replace("\"Payments-Owners\"", "\" \""));
    empty.assert_errors(&["{dir}/tenure.toml:13:15: records[0].owner_group: must name a group"]);
}
