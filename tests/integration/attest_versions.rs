//! The vault side of attestation: an old version the vault still serves
//! holds a retired value. It is found (`retired_value_readable`), then made
//! unreadable by the retire run, which says how: destroyed (OpenBao KV,
//! the local vault) or left without a stage (AWS Secrets Manager, which
//! cannot destroy one version).

use serde_json::{Value, json};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::Bed;
use crate::common::stderr;

fn config(provider: &str, secret: &str) -> String {
    format!(
        r#"[tenure]
state_dir = "state"

{provider}

[targets.gen]
type = "generate"

[[owners]]
id = "dba@example.com"
status = "active"

[[records]]
id = "versions"
secrets = "{secret}"
target = "gen"
owner = "dba@example.com"
purpose = "attestation test"
grace = "0s"
attest_every = "1s"
approval = {{ by = "ciso@example.com", at = 2026-11-01 }}
"#
    )
}

/// Attests `secret`, repairs it in one pass, and returns the proof the
/// retire run recorded for the vault.
async fn found_and_retired(bed: &Bed, secret: &str) -> Value {
    let attest = bed.run(&["attest", secret, "--format", "json"]).await;
    assert_eq!(attest.status.code(), Some(1), "{}", stderr(&attest));
    let report: Value = serde_json::from_str(&common::stdout(&attest)).expect("json");
    assert_eq!(
        report["secrets"][0]["findings"],
        json!(["retired_value_readable"]),
        "{report}"
    );
    let out = bed
        .pass_saying(&format!(
            "{secret} must be retired again: retired_value_readable."
        ))
        .await;
    let context = format!("\n{}\n{:#?}", stderr(&out), bed.audit());
    bed.assert_compliant(secret, &context).await;
    let vault = bed.proofs(secret, "vault_refuses_read");
    let vault = vault.last().expect("a vault proof");
    // Nothing outside the vault accepts a generated value: no login claimed.
    assert!(bed.proofs(secret, "retired_credential_refused").is_empty());
    vault["data"]["evidence"]["versions"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_local_version_is_destroyed() {
    let bed = Bed::new(
        &config(
            "[providers.local]\ntype = \"local\"\npath = \"vault.tvault\"",
            "local:app/token",
        ),
        &[],
    );
    bed.put("app/token", "first-value-0123456789abcdefghij")
        .await;
    bed.put("app/token", "second-value-0123456789abcdefghi")
        .await;
    let versions = found_and_retired(&bed, "local:app/token").await;
    assert_eq!(versions["1"]["method"], "vault_read_version", "{versions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_kv_version_is_destroyed() {
    let Some((addr, token, client)) = common::drift::openbao() else {
        return;
    };
    let prefix = unique_name("versions");
    for value in ["first-value", "second-value"] {
        vaultrs::kv2::set(
            &client,
            "secret",
            &format!("{prefix}/db"),
            &json!({ "value": value }),
        )
        .await
        .expect("write");
    }
    let provider = format!(
        "[providers.bao]\ntype = \"vault\"\naddress = {{ env = \"VERSIONS_VAULT_ADDR\" }}\nauth = {{ method = \"token\", token = {{ env = \"VERSIONS_VAULT_TOKEN\" }} }}\nmount = \"secret\"\nprefix = \"{prefix}\""
    );
    let secret = format!("bao:{prefix}/db");
    let bed = Bed::new(
        &config(&provider, &secret),
        &[
            ("VERSIONS_VAULT_ADDR", addr.as_str()),
            ("VERSIONS_VAULT_TOKEN", token.as_str()),
        ],
    );
    let versions = found_and_retired(&bed, &secret).await;
    assert_eq!(versions["1"]["method"], "vault_read_version", "{versions}");
    let old =
        vaultrs::kv2::read_version::<Value>(&client, "secret", &format!("{prefix}/db"), 1).await;
    assert!(old.is_err(), "version 1 is still readable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_aws_version_loses_its_stage() {
    let Some(endpoint) = service_url("TENURE_TEST_AWS_ENDPOINT") else {
        return;
    };
    let name = unique_name("versions");
    let client =
        aws_sdk_secretsmanager::Client::new(&common::aws_sdk(&endpoint, "testing", "testing"));
    client
        .create_secret()
        .name(&name)
        .secret_string("first-value")
        .send()
        .await
        .expect("create");
    client
        .put_secret_value()
        .secret_id(&name)
        .secret_string("second-value")
        .send()
        .await
        .expect("put");
    let provider = format!(
        "[providers.aws]\ntype = \"aws_secrets_manager\"\nregion = \"us-east-1\"\nprefix = \"{name}\""
    );
    let secret = format!("aws:{name}");
    let bed = Bed::new(
        &config(&provider, &secret),
        &[
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ],
    );
    let versions = found_and_retired(&bed, &secret).await;
    let proof = versions
        .as_object()
        .and_then(|v| v.values().next())
        .expect("one version");
    assert_eq!(proof["method"], "vault_stages", "{versions}");
    let previous = common::aws_version_at(&client, &name, "AWSPREVIOUS").await;
    assert!(previous.is_none(), "AWSPREVIOUS still names the old value");
}
