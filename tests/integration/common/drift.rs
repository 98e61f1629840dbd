//! Drift made by hand on a real server, then found and repaired by the
//! `tenure` binary: one scenario run against every target with accounts.
//!
//! A [`Bed`] is a private config (the local vault, one target behind a
//! [`Proxy`], one record attested every second with no grace) and runs the
//! binary. A [`Server`] makes the drift the way a person would, through
//! its own admin connection.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::proxy::Proxy;
use super::{stderr, stdout};

/// A bed's config: the local vault, the target `name` (`table` is the body
/// of its `[targets.<name>]` table), and one record for `local:<path>` on
/// it governing `account`, attested every second with no grace, approving
/// `scopes`.
pub fn config(path: &str, name: &str, table: &str, account: &str, scopes: &[String]) -> String {
    format!(
        r#"[tenure]
state_dir = "state"

[providers.local]
type = "local"
path = "vault.tvault"

[targets.{name}]
{table}

[[owners]]
id = "dba@example.com"
status = "active"

[[records]]
id = "drift"
secrets = "local:{path}"
target = "{name}"
account = "{account}"
owner = "dba@example.com"
purpose = "attestation test"
grace = "0s"
attest_every = "1s"
scopes = {scopes:?}
approval = {{ by = "ciso@example.com", at = 2026-11-01 }}
"#
    )
}

/// A PostgreSQL login as the local vault holds it: `username` with
/// `password` on 127.0.0.1:`port`, database `postgres`.
pub fn pg_login(username: &str, password: &str, port: u16) -> String {
    serde_json::json!({
        "username": username, "password": password,
        "host": "127.0.0.1", "port": port, "dbname": "postgres",
    })
    .to_string()
}

/// A private config and state, and the binary run against them.
pub struct Bed {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    env: Vec<(String, String)>,
}

impl Bed {
    /// A bed whose `tenure.toml` is `config` (relative paths resolve in
    /// the bed's folder), run with `env`.
    pub fn new(config: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let path = root.join("tenure.toml");
        std::fs::write(&path, config).expect("config");
        Self {
            dir,
            config: path,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Replaces `from` by `to` in the config.
    pub fn edit(&self, from: &str, to: &str) {
        super::edit_file(&self.config, from, to);
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::from(super::tenure(&self.config, args));
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs `tenure args` to completion.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("run tenure")
    }

    /// Runs `tenure args`, which must succeed.
    pub async fn ok(&self, args: &[&str]) -> Output {
        super::succeeded(args, self.run(args).await)
    }

    /// Runs a pass (`run --once`), which must succeed and log `sentence`.
    pub async fn pass_saying(&self, sentence: &str) -> Output {
        let out = self.ok(&["run", "--once"]).await;
        assert!(stderr(&out).contains(sentence), "{}", stderr(&out));
        out
    }

    /// Asserts that the plan finds `secret` compliant, with attestation
    /// `ok`; `context` goes with a failure.
    pub async fn assert_compliant(&self, secret: &str, context: &str) {
        let entry = self.plan_entry(secret).await;
        assert_eq!(
            (&entry["decision"], &entry["attestation"]),
            (&Value::from("compliant"), &Value::from("ok")),
            "{entry}{context}"
        );
    }

    /// Stores `value` as the current value of `path` in the local vault.
    pub async fn put(&self, path: &str, value: &str) {
        let mut child = self
            .command(&["local", "put", path, "--owner", "dba@example.com"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(value.as_bytes()).await.expect("write");
        drop(stdin);
        let out = child.wait_with_output().await.expect("put");
        assert!(out.status.success(), "{}", stderr(&out));
    }

    /// The current value of `path`.
    pub async fn get(&self, path: &str) -> String {
        let out = self.ok(&["local", "get", path]).await;
        stdout(&out).trim_end_matches('\n').to_owned()
    }

    /// The plan line of `secret`.
    pub async fn plan_entry(&self, secret: &str) -> Value {
        let out = self.ok(&["plan", "--format", "json"]).await;
        let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan json");
        plan.as_array()
            .expect("array")
            .iter()
            .find(|e| e["secret"] == secret)
            .cloned()
            .unwrap_or_else(|| panic!("no plan line for {secret}: {plan}"))
    }

    /// The verification entries about `secret` whose evidence is the check
    /// `check`, in order.
    pub fn proofs(&self, secret: &str, check: &str) -> Vec<Value> {
        self.entries("verification", secret)
            .into_iter()
            .filter(|e| e["data"]["evidence"]["check"] == check)
            .collect()
    }

    /// Every audit entry.
    pub fn audit(&self) -> Vec<Value> {
        let path = self.dir.path().join("state/audit.jsonl");
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line"))
            .collect()
    }

    /// The audit entries of `kind` about `secret`, in order.
    pub fn entries(&self, kind: &str, secret: &str) -> Vec<Value> {
        self.audit()
            .into_iter()
            .filter(|e| e["kind"] == kind && e["secret"] == secret)
            .collect()
    }

    /// Waits until attestation is due again (every second: at most 1.5 s).
    pub async fn until_due(&self) {
        tokio::time::sleep(Duration::from_millis(1600)).await;
    }
}

/// The OpenBao dev server of scripts/services: its address, its token and
/// a client; `None` (or a panic under CI=true) when it is not running.
pub fn openbao() -> Option<(String, String, vaultrs::client::VaultClient)> {
    let addr = tenure_testkit::service_url("TENURE_TEST_VAULT_ADDR")?;
    let token = std::env::var("TENURE_TEST_VAULT_TOKEN").expect("TENURE_TEST_VAULT_TOKEN");
    let client = vaultrs::client::VaultClient::new(
        vaultrs::client::VaultClientSettingsBuilder::default()
            .address(&addr)
            .token(&token)
            .build()
            .expect("settings"),
    )
    .expect("client");
    Some((addr, token, client))
}

/// A server's side of the scenario: drift made by hand.
#[async_trait::async_trait]
pub trait Server: Sync {
    /// Sets another password (or key) for the governed login, by hand.
    async fn change_password(&self);
    /// Grants a privilege the record does not approve.
    async fn grant_extra(&self);
    /// Whether the unapproved privilege is held.
    async fn holds_extra(&self) -> bool;
    /// Takes an approved privilege away.
    async fn remove_approved(&self);
    /// Gives it back.
    async fn restore_approved(&self);
    /// Undoes a revocation by hand (LOGIN, unlock, ACL on, a new key).
    async fn reenable(&self);
    /// Whether the governed login can log in (per the server's catalog).
    async fn enabled(&self) -> bool;
    /// Whether `value` (the secret's JSON) logs in, freshly.
    async fn logs_in(&self, value: &str) -> bool;
}

/// The drift every target with accounts must be found and repaired in one
/// pass: a password changed by hand, a privilege granted again, an approved
/// scope removed, the target stopped, and a revocation undone by hand.
/// `secret` is the address, `path` its local path.
pub async fn scenarios(bed: &Bed, server: &dyn Server, proxy: &Proxy, path: &str) {
    let secret = format!("local:{path}");

    // A first pass attests: all is well.
    let first = bed.ok(&["run", "--once"]).await;
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(
        entry["decision"],
        "compliant",
        "{entry}\n{}",
        stderr(&first)
    );
    assert_eq!(entry["attestation"], "ok", "{entry}");

    // 1. A password changed by hand: found and repaired in one pass.
    server.change_password().await;
    bed.until_due().await;
    let before = bed.get(path).await;
    let out = bed
        .pass_saying(&format!("{secret}: attestation found credential_rejected"))
        .await;
    let after = bed.get(path).await;
    assert_ne!(before, after, "not rotated:\n{}", stderr(&out));
    assert!(
        server.logs_in(&after).await,
        "the repaired credential fails"
    );
    bed.assert_compliant(&secret, "").await;
    // (Where a login holds several passwords, the one set by hand is also
    // a password besides the current one: retired with the rotation.)
    let rotations = bed.entries("run_started", &secret);
    let run = &rotations.last().expect("a run")["data"];
    assert_eq!(run["action"], "rotate");
    assert_eq!(run["reasons"][0], "credential_rejected", "{run}");

    // 2. A privilege granted again: narrowed.
    server.grant_extra().await;
    bed.until_due().await;
    bed.pass_saying(&format!("{secret} must be narrowed: scope_excess."))
        .await;
    assert!(
        !server.holds_extra().await,
        "the extra privilege is still held"
    );

    // 3. An approved scope removed by hand: escalated (Tenure never grants).
    server.remove_approved().await;
    bed.until_due().await;
    bed.pass_saying(&format!("{secret} needs a person: scope_missing."))
        .await;
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(entry["decision"], "escalate", "{entry}");
    server.restore_approved().await;

    // 4. The target stopped: unavailable, never compliant; back: compliant.
    proxy.stop().await;
    bed.until_due().await;
    let out = bed.run(&["run", "--once"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let entry = bed.plan_entry(&secret).await;
    assert_eq!(entry["decision"], "escalate", "{entry}");
    assert_eq!(
        entry["reasons"],
        serde_json::json!(["attestation_unavailable"]),
        "{entry}"
    );
    let attest = bed.run(&["attest", secret.as_str()]).await;
    assert_eq!(attest.status.code(), Some(1), "{}", stderr(&attest));
    proxy.start().await;
    bed.until_due().await;
    bed.ok(&["run", "--once"]).await;
    bed.assert_compliant(&secret, "").await;
    let attest = bed
        .ok(&["attest", secret.as_str(), "--format", "json"])
        .await;
    let report: Value = serde_json::from_str(&stdout(&attest)).expect("json");
    assert_eq!(report["secrets"][0]["result"], "ok", "{report}");

    // 5. A revocation undone by hand: revoked again, with proof.
    bed.ok(&["revoke", secret.as_str()]).await;
    assert!(!server.enabled().await, "not revoked");
    server.reenable().await;
    assert!(server.enabled().await, "not re-enabled by hand");
    bed.until_due().await;
    bed.pass_saying(&format!("{secret}: attestation found revocation_undone."))
        .await;
    assert!(!server.enabled().await, "not revoked again");
    let proofs = bed.proofs(&secret, "credential_refused");
    let last = &proofs.last().expect("a refusal proof")["data"]["evidence"];
    assert!(
        last["logins"]
            .as_array()
            .is_some_and(|l| l.iter().all(|s| s["enabled"] == false)),
        "{last}"
    );
    bed.assert_compliant(&secret, "").await;
    let verify = bed.ok(&["audit", "verify"]).await;
    assert!(verify.status.success());
}
