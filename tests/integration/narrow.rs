//! The narrow workflow end to end: attestation reads the privileges a
//! credential really holds, the planner decides `narrow` on excess, the
//! target cuts them to the approved scopes, and the engine verifies by
//! reading them back.

use std::sync::{Arc, Mutex};

use tenure::plugins::Plugins;
use tenure_plugin_api::{
    NarrowReport, PluginError, Proof, SecretValue, Target, TargetCapabilities, TargetContext,
    async_trait,
};

use crate::common::Demo;

/// A target whose only state is the set of privileges its one credential holds.
struct Privileged {
    held: Mutex<Vec<String>>,
}

#[async_trait]
impl Target for Privileged {
    fn name(&self) -> &str {
        "generated"
    }
    fn capabilities(&self) -> TargetCapabilities {
        TargetCapabilities {
            rotate: true,
            narrow: true,
            revoke: true,
            ..TargetCapabilities::NONE
        }
    }
    async fn issue(
        &self,
        _: TargetContext<'_>,
        _: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        Ok(SecretValue::new("x".repeat(40)))
    }
    async fn apply(
        &self,
        _: TargetContext<'_>,
        _: Option<&SecretValue>,
        _: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }
    async fn test(&self, _: TargetContext<'_>, _: &SecretValue) -> Result<Proof, PluginError> {
        Ok(Proof::new("test", "ok"))
    }
    async fn rollback(
        &self,
        _: TargetContext<'_>,
        _: Option<&SecretValue>,
        _: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }
    async fn retire(
        &self,
        _: TargetContext<'_>,
        _: &SecretValue,
        _: &SecretValue,
    ) -> Result<(), PluginError> {
        Ok(())
    }
    async fn privileges(
        &self,
        _: TargetContext<'_>,
        _: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        Ok(Some(self.held.lock().expect("lock").clone()))
    }
    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        _: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        let mut held = self.held.lock().expect("lock");
        let (remaining, removed): (Vec<String>, Vec<String>) =
            held.drain(..).partition(|p| ctx.scopes.contains(p));
        *held = remaining.clone();
        Ok(NarrowReport { removed, remaining })
    }
    async fn revoke(&self, _: TargetContext<'_>, _: &SecretValue) -> Result<(), PluginError> {
        Ok(())
    }
    async fn verify_revoked(
        &self,
        _: TargetContext<'_>,
        _: &SecretValue,
    ) -> Result<Proof, PluginError> {
        Ok(Proof::new("test", "refused"))
    }
}

#[tokio::test]
async fn excess_privileges_are_narrowed_and_verified() {
    let demo = Demo::new();
    let records = demo
        .config
        .parent()
        .expect("dir")
        .join("governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    let text = text.replace(
        "renew_before = \"3d\"\ngrace = \"1m\"",
        "renew_before = \"3d\"\ngrace = \"1m\"\nscopes = [\"select:reports\"]",
    );
    // A record that matches nothing, to see it reported.
    let text = format!(
        "{text}\n[[records]]\nid = \"ghost\"\nsecrets = \"local:ghost/*\"\ntarget = \"generated\"\nowner = \"dana@example.com\"\npurpose = \"p\"\napproval = {{ by = \"ciso\", at = 2026-01-01 }}\n"
    );
    std::fs::write(&records, text).expect("write");

    let config = tenure::config::load(&demo.config).expect("config");
    let mut plugins = Plugins::build(&config).expect("plugins");
    let target = Arc::new(Privileged {
        held: Mutex::new(vec![
            "select:reports".into(),
            "delete:reports".into(),
            "superuser".into(),
        ]),
    });
    plugins.insert_target("generated", Arc::clone(&target) as Arc<dyn Target>);
    let reconciler = tenure::app::Builder::new(config)
        .plugins(plugins)
        .open()
        .await
        .expect("app");

    // The plan decides from what attestation recorded: nothing yet.
    let plan = reconciler.plan(chrono::Utc::now()).await.expect("plan");
    let config = reconciler.config();
    let entries = plan.entries(&config);
    let entry = entries
        .iter()
        .find(|e| e.secret == "local:demo/reports-token")
        .expect("entry");
    assert_eq!((entry.decision, entry.attestation), ("compliant", None));
    let attested = reconciler.attest_now(None).await.expect("attest");
    assert!(attested.found_anything());
    let plan = reconciler.plan(chrono::Utc::now()).await.expect("plan");
    let entries = plan.entries(&config);
    let entry = entries
        .iter()
        .find(|e| e.secret == "local:demo/reports-token")
        .expect("entry");
    assert_eq!(entry.decision, "narrow");
    assert_eq!(entry.attestation, Some("drift"));
    assert_eq!(entry.reasons, vec!["scope_excess"]);
    let ghost = entries
        .iter()
        .find(|e| e.secret == "local:ghost/*")
        .expect("dangling record");
    assert_eq!(
        (ghost.decision, ghost.reasons.clone()),
        ("escalate", vec!["dangling_record"])
    );

    let report = reconciler.pass().await.expect("pass");
    assert!(report.all_succeeded(), "{:?}", report.actions);
    assert_eq!(
        *target.held.lock().expect("lock"),
        vec!["select:reports".to_owned()]
    );
    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    assert!(trail.contains("\"check\":\"privileges_within_scopes\""));
    assert!(trail.contains("\"removed\":[\"delete:reports\",\"superuser\"]"));

    let plan = reconciler.plan(chrono::Utc::now()).await.expect("plan");
    let config = reconciler.config();
    let entries = plan.entries(&config);
    let entry = entries
        .iter()
        .find(|e| e.secret == "local:demo/reports-token")
        .expect("entry");
    assert_eq!(entry.decision, "compliant");

    // The record that matches no secret is in the audit trail once, for its owner.
    reconciler.pass().await.expect("another pass");
    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    let dangling: Vec<&str> = trail
        .lines()
        .filter(|l| l.contains("\"kind\":\"dangling_record\""))
        .collect();
    assert_eq!(dangling.len(), 1, "{dangling:?}");
    assert!(dangling[0].contains("\"record\":\"ghost\""));
    assert!(dangling[0].contains("\"owner\":\"dana@example.com\""));
}
