//! Records: scopes checked and made canonical by their target at load, and
//! the account a record governs.

use super::*;

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
