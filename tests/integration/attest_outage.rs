//! One vault down never silences the others: with OpenBao stopped (a proxy
//! in front of the dev server), a pass still revokes a local secret whose
//! owner left, lists the OpenBao secrets as unavailable (never compliant),
//! and exits 1 after doing everything else; with OpenBao back, all is well.

use serde_json::json;
use tenure_testkit::unique_name;

use crate::common;
use crate::common::drift::Bed;
use crate::common::proxy::Proxy;
use crate::common::stderr;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_vault_down_while_another_vaults_secret_is_revoked() {
    let Some((addr, token, client)) = common::drift::openbao() else {
        return;
    };
    let prefix = unique_name("outage");
    vaultrs::kv2::set(
        &client,
        "secret",
        &format!("{prefix}/db"),
        &json!({ "value": "a-long-enough-generated-value-0123456789" }),
    )
    .await
    .expect("seed");

    let proxy = Proxy::start_to_http(&addr).await;
    let mut config = format!(
        r#"[tenure]
state_dir = "state"

[providers.local]
type = "local"
path = "vault.tvault"

[providers.bao]
type = "vault"
address = {{ env = "OUTAGE_VAULT_ADDR" }}
auth = {{ method = "token", token = {{ env = "OUTAGE_VAULT_TOKEN" }} }}
mount = "secret"
prefix = "{prefix}"

[targets.gen]
type = "generate"
"#
    );
    // One secret in each vault, each with an owner of its own.
    let bao = format!("bao:{prefix}/db");
    for (id, secret, owner) in [
        ("local-token", "local:app/token", "leaver@example.com"),
        ("bao-db", bao.as_str(), "keeper@example.com"),
    ] {
        config.push_str(&format!(
            r#"
[[owners]]
id = "{owner}"
status = "active"

[[records]]
id = "{id}"
secrets = "{secret}"
target = "gen"
owner = "{owner}"
purpose = "p"
attest_every = "1s"
approval = {{ by = "ciso@example.com", at = 2026-11-01 }}
"#
        ));
    }
    let through = proxy.http_url();
    let bed = Bed::new(
        &config,
        &[
            ("OUTAGE_VAULT_ADDR", through.as_str()),
            ("OUTAGE_VAULT_TOKEN", token.as_str()),
        ],
    );
    bed.put("app/token", "a-local-token-value-0123456789abcdef")
        .await;

    let first = bed.ok(&["run", "--once"]).await;
    assert_eq!(
        bed.plan_entry(&bao).await["attestation"],
        "ok",
        "{}",
        stderr(&first)
    );

    // OpenBao stops; meanwhile the local secret's owner leaves.
    proxy.stop().await;
    bed.edit(
        "id = \"leaver@example.com\"\nstatus = \"active\"",
        "id = \"leaver@example.com\"\nstatus = \"left\"",
    );
    let out = bed.run(&["run", "--once"]).await;
    let log = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(
        log.contains("Could not read the inventory of provider bao"),
        "{log}"
    );
    assert!(
        log.contains("local:app/token must be revoked: owner_left."),
        "{log}"
    );
    assert!(
        log.contains("Revoked: the credential is refused and disabled in the vault."),
        "{log}"
    );
    let token = bed.plan_entry("local:app/token").await;
    assert_eq!(token["reasons"], json!(["disabled"]), "{token}");
    let entry = bed.plan_entry(&bao).await;
    assert_eq!(entry["decision"], "escalate", "{entry}");
    assert_eq!(entry["reasons"], json!(["attestation_unavailable"]));
    let provider = bed.plan_entry("bao:*").await;
    assert!(
        provider["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("the inventory could not be read")),
        "{provider}"
    );
    let attest = bed.run(&["attest"]).await;
    assert_eq!(attest.status.code(), Some(1), "{}", stderr(&attest));

    // OpenBao is back.
    proxy.start().await;
    bed.until_due().await;
    bed.ok(&["run", "--once"]).await;
    bed.assert_compliant(&bao, "").await;
}
