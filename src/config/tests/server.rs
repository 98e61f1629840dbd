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

#[test]
fn operator_and_oidc_errors_name_file_line_and_key() {
    let folder = Folder::main_only(
        r#"[server]
admin_token = { env = "ADMIN" }

[[server.operators]]
name = "admin"
role = "viewer"
token = { env = "A" }

[[server.operators]]
name = "bob"
role = "root"
token = { env = "ADMIN" }

[[server.operators]]
name = "cli:carol"
role = "operator"
token = { file = "carol.token" }

[server.oidc]
issuer = ""
audience = "tenure"
jwks = { url = "http://idp.example.com/jwks.json" }
role_claim = "roles"

[providers.local]
type = "local"
path = "vault.tvault"
"#,
    );
    folder.assert_errors(&[
        "{dir}/tenure.toml:5:8: server.operators[0].name: duplicate operator \"admin\" (first defined at server.admin_token)",
        "{dir}/tenure.toml:11:8: server.operators[1].role: unknown role \"root\" (expected viewer, operator, approver or admin)",
        "{dir}/tenure.toml:12:9: server.operators[1].token: the same token source as server.admin_token; every operator needs its own",
        "{dir}/tenure.toml:15:8: server.operators[2].name: names starting with `cli:` are the command line's",
        "{dir}/tenure.toml:20:10: server.oidc.issuer: must not be empty",
        "{dir}/tenure.toml:22:16: server.oidc.jwks.url: must be an https URL (plain http only to a loopback address)",
    ]);
}

#[test]
fn operators_load_with_admin_token_as_the_admin_operator() {
    let folder = Folder::main_only(
        // The inline forms of [[server.operators]] and [server.oidc].
        r#"[server]
admin_token = { env = "ADMIN" }
operators = [{ name = "alice", role = "approver", token = { file = "secrets/alice.token" } }]
oidc = { issuer = "https://idp.example.com", audience = "tenure", jwks = { file = "jwks.json" }, role_claim = "realm_access.roles" }

[providers.local]
type = "local"
path = "vault.tvault"
"#,
    );
    let config = folder.load();
    let server = config.server.expect("server");
    let names: Vec<(&str, &str, &str)> = server
        .operators
        .iter()
        .map(|o| (o.name.as_str(), o.role.as_str(), o.key.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("admin", "admin", "server.admin_token"),
            ("alice", "approver", "server.operators[0].token")
        ]
    );
    assert_eq!(
        server.operators[1].token,
        tenure_plugin_api::SecretSource::File(folder.path("secrets/alice.token"))
    );
    let oidc = server.oidc.expect("oidc");
    assert_eq!(oidc.name_claim, "sub");
    assert_eq!(oidc.jwks, JwksSource::File(folder.path("jwks.json")));
}

#[test]
fn scim_errors_name_file_line_and_key_and_defaults_apply() {
    let folder = Folder::main_only(
        r#"[scim]
token = { env = "TENURE_SCIM_TOKEN" }
owner_id = "upn"
base_url = "ftp://idp.example.com/scim/v2"

[providers.local]
type = "local"
path = "vault.tvault"
"#,
    );
    folder.assert_errors(&[
        "{dir}/tenure.toml:1:1: scim: the SCIM endpoints are served by [server]: add a [server] section",
        "{dir}/tenure.toml:3:12: scim.owner_id: expected \"userName\" or \"email\", not \"upn\"",
        "{dir}/tenure.toml:4:12: scim.base_url: expected an http(s) URL without query or fragment, like https://tenure.example.com/scim/v2",
    ]);
    let inline = Folder::main_only("[server]\n[scim]\ntoken = \"inline-token-0123456789\"\n");
    assert_eq!(inline.errors().len(), 1, "{:?}", inline.errors());

    let good = Folder::main_only(
        r#"[server]

[scim]
token = { file = "scim.token" }
owner_id = "email"
base_url = "https://tenure.example.com/scim/v2/"

[providers.local]
type = "local"
path = "vault.tvault"
"#,
    );
    let scim = good.load().scim.expect("[scim]");
    assert_eq!(scim.owner_id, ScimOwnerId::Email);
    assert_eq!(
        scim.base_url.as_deref(),
        Some("https://tenure.example.com/scim/v2")
    );
    assert_eq!(
        scim.token,
        tenure_plugin_api::SecretSource::File(good.path("scim.token"))
    );
}
