//! Failure paths of the workflow engine, with a target that fails on purpose:
//! rollback keeps the current credential, retries back off, a secret that
//! keeps failing is quarantined and escalated instead of retried forever,
//! and a decided action the target cannot carry out fails the pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenure::app::App;
use tenure::plugins::Plugins;
use tenure::state::{RunKind, SqliteStore, StateStore};
use tenure::workflow::Outcome;
use tenure_plugin_api::{
    ErrorKind, NarrowReport, PluginError, Proof, SecretAddress, SecretValue, Stage, Target,
    TargetCapabilities, TargetContext, async_trait,
};

use crate::common::Demo;

/// Wraps the demo's generate target; its `test` fails with `kind` while `failures` > 0.
struct Flaky {
    inner: Arc<dyn Target>,
    kind: ErrorKind,
    failures: AtomicU32,
    rollbacks: AtomicU32,
    /// Reported instead of the inner target's, when set.
    capabilities: Option<TargetCapabilities>,
}

#[async_trait]
impl Target for Flaky {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn capabilities(&self) -> TargetCapabilities {
        self.capabilities
            .unwrap_or_else(|| self.inner.capabilities())
    }
    async fn issue(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
    ) -> Result<SecretValue, PluginError> {
        self.inner.issue(ctx, current).await
    }
    async fn apply(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.inner.apply(ctx, current, pending).await
    }
    async fn test(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(PluginError::new(self.kind, "login refused (injected)"));
        }
        self.inner.test(ctx, value).await
    }
    async fn rollback(
        &self,
        ctx: TargetContext<'_>,
        current: Option<&SecretValue>,
        pending: &SecretValue,
    ) -> Result<(), PluginError> {
        self.rollbacks.fetch_add(1, Ordering::SeqCst);
        self.inner.rollback(ctx, current, pending).await
    }
    async fn retire(
        &self,
        ctx: TargetContext<'_>,
        previous: &SecretValue,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.inner.retire(ctx, previous, current).await
    }
    async fn privileges(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<Option<Vec<String>>, PluginError> {
        self.inner.privileges(ctx, current).await
    }
    async fn narrow(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<NarrowReport, PluginError> {
        self.inner.narrow(ctx, current).await
    }
    async fn revoke(
        &self,
        ctx: TargetContext<'_>,
        current: &SecretValue,
    ) -> Result<(), PluginError> {
        self.inner.revoke(ctx, current).await
    }
    async fn verify_revoked(
        &self,
        ctx: TargetContext<'_>,
        value: &SecretValue,
    ) -> Result<Proof, PluginError> {
        self.inner.verify_revoked(ctx, value).await
    }
}

struct Setup {
    demo: Demo,
    reconciler: App,
    flaky: Arc<Flaky>,
    plugins: Plugins,
}

async fn setup(kind: ErrorKind, failures: u32) -> Setup {
    setup_with(kind, failures, None).await
}

async fn setup_with(
    kind: ErrorKind,
    failures: u32,
    capabilities: Option<TargetCapabilities>,
) -> Setup {
    let demo = Demo::new();
    demo.edit("initial_backoff = \"10s\"", "initial_backoff = \"10ms\"");
    demo.edit("max_backoff = \"1h\"", "max_backoff = \"20ms\"");
    demo.edit("max_attempts = 5", "max_attempts = 3");
    let config = tenure::config::load(&demo.config).expect("config");
    let mut plugins = Plugins::build(&config).expect("plugins");
    let flaky = Arc::new(Flaky {
        inner: Arc::clone(plugins.target("generated").expect("target")),
        kind,
        failures: AtomicU32::new(failures),
        rollbacks: AtomicU32::new(0),
        capabilities,
    });
    plugins.insert_target("generated", Arc::clone(&flaky) as Arc<dyn Target>);
    let reconciler = tenure::app::Builder::new(config)
        .plugins(plugins.clone())
        .open()
        .await
        .expect("app");
    Setup {
        demo,
        reconciler,
        flaky,
        plugins,
    }
}

fn address() -> SecretAddress {
    "local:demo/reports-token".parse().expect("address")
}

#[tokio::test]
async fn a_failed_test_rolls_back_and_keeps_the_current_credential() {
    let s = setup(ErrorKind::Permanent, 1).await;
    let provider = s.plugins.provider("local").expect("local");
    let before = provider
        .read("demo/reports-token", Stage::Current)
        .await
        .expect("read");
    let outcome = s
        .reconciler
        .act_now(
            &address(),
            RunKind::Rotate,
            &tenure::server::auth::Actor::cli(None),
        )
        .await
        .expect("act");
    assert!(
        matches!(outcome, Outcome::RolledBack { ref error } if error.contains("login refused")),
        "{outcome:?}"
    );
    assert_eq!(s.flaky.rollbacks.load(Ordering::SeqCst), 1);
    let meta = provider
        .describe("demo/reports-token")
        .await
        .expect("describe");
    assert!(
        meta.version(Stage::Pending).is_none(),
        "pending not discarded: {meta:?}"
    );
    let after = provider
        .read("demo/reports-token", Stage::Current)
        .await
        .expect("read");
    assert!(before.ct_eq(&after), "the current credential changed");
    let trail = std::fs::read_to_string(s.demo.audit()).expect("trail");
    assert!(
        trail.contains("\"phase\":\"rollback\""),
        "no rollback in the trail"
    );
    assert!(trail.contains("\"kind\":\"permanent\""));
    // The next rotation is not blocked by anything the failed one left behind.
    let outcome = s
        .reconciler
        .act_now(
            &address(),
            RunKind::Rotate,
            &tenure::server::auth::Actor::cli(None),
        )
        .await
        .expect("act");
    assert!(outcome.is_success(), "{outcome:?}");
}

#[tokio::test]
async fn transient_failures_back_off_then_succeed() {
    let s = setup(ErrorKind::Retryable, 2).await;
    let outcome = s
        .reconciler
        .act_now(
            &address(),
            RunKind::Rotate,
            &tenure::server::auth::Actor::cli(None),
        )
        .await
        .expect("act");
    assert!(matches!(outcome, Outcome::RetryLater { .. }), "{outcome:?}");
    let mut last = outcome;
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        let resumed = s.reconciler.engine().resume_due().await.expect("resume");
        if let Some((_, outcome)) = resumed.into_iter().next() {
            last = outcome;
            if last.is_success() {
                break;
            }
        }
    }
    assert!(last.is_success(), "{last:?}");
    assert_eq!(s.flaky.rollbacks.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_secret_that_keeps_failing_is_quarantined_and_escalated() {
    let s = setup(ErrorKind::Permanent, u32::MAX).await;
    for _ in 0..3 {
        let outcome = s
            .reconciler
            .act_now(
                &address(),
                RunKind::Rotate,
                &tenure::server::auth::Actor::cli(None),
            )
            .await
            .expect("act");
        assert!(matches!(outcome, Outcome::RolledBack { .. }), "{outcome:?}");
        // act_now releases quarantine (operator intent); check the count instead.
    }
    let store = SqliteStore::open(&s.demo.state().join("state.db"))
        .await
        .expect("store");
    let state = store.secret_state(&address()).await.expect("state");
    assert!(state.quarantined, "{state:?}");
    let plan = s.reconciler.plan(chrono::Utc::now()).await.expect("plan");
    let config = s.reconciler.config();
    let entry = plan
        .entries(&config)
        .into_iter()
        .find(|e| e.secret == "local:demo/reports-token")
        .expect("entry");
    assert_eq!(entry.decision, "escalate");
    assert_eq!(entry.reasons, vec!["quarantined"]);
    let trail = std::fs::read_to_string(s.demo.audit()).expect("trail");
    assert!(trail.contains("\"kind\":\"quarantined\""));
}

#[tokio::test]
async fn a_decided_action_the_target_cannot_carry_out_fails_the_pass() {
    let cannot_revoke = TargetCapabilities {
        rotate: true,
        narrow: false,
        revoke: false,
        ..TargetCapabilities::NONE
    };
    let s = setup_with(ErrorKind::Permanent, 0, Some(cannot_revoke)).await;
    let report = s.reconciler.pass().await.expect("pass");
    let mut refused: Vec<_> = report
        .actions
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Unsupported { .. }))
        .map(|a| a.secret.to_string())
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        vec!["local:api/payments-token", "local:legacy/ftp-password"]
    );
    assert!(!report.clean(), "run --once would exit 0");
    let trail = std::fs::read_to_string(s.demo.audit()).expect("trail");
    assert!(trail.contains("\"reason\":\"target_cannot_act\""));
}
