//! Kill -9 the process at every phase boundary of a rotation and of a
//! revocation, rerun, and check the run completes exactly once.

use tenure_plugin_api::Stage;

use crate::common;
use crate::common::{Demo, stderr};

/// Starts `args` paused at `point` and kills it with SIGKILL there.
fn kill_at(demo: &Demo, args: &[&str], point: &str) {
    common::kill_at(demo.command(args), point);
}

async fn describe(demo: &Demo, path: &str) -> tenure_plugin_api::SecretMetadata {
    let config = tenure::config::load(&demo.config).expect("config");
    let plugins = tenure::plugins::Plugins::build(&config).expect("plugins");
    let provider = plugins.provider("local").expect("local");
    provider.describe(path).await.expect("describe")
}

async fn read_version(demo: &Demo, path: &str, version: &tenure_plugin_api::VersionId) -> String {
    let config = tenure::config::load(&demo.config).expect("config");
    let plugins = tenure::plugins::Plugins::build(&config).expect("plugins");
    let provider = plugins.provider("local").expect("local");
    provider
        .read_version(path, version)
        .await
        .expect("read")
        .expose()
        .to_owned()
}

#[tokio::test]
async fn rotation_resumes_after_a_kill_at_every_phase_boundary() {
    let phases = ["create_pending", "set_in_target", "test", "promote"];
    for phase in phases {
        for when in ["before", "after"] {
            let point = format!("{phase}:{when}");
            let demo = Demo::new();
            let old = demo.get("demo/reports-token");
            let old_version = describe(&demo, "demo/reports-token")
                .await
                .version(Stage::Current)
                .expect("current")
                .id
                .clone();
            kill_at(&demo, &["rotate", "local:demo/reports-token"], &point);
            let out = demo.run(&["run", "--once"]);
            assert!(
                out.status.success(),
                "{point}: rerun failed: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("Resumed an unfinished rotate run"),
                "{point}: {}",
                stderr(&out)
            );

            let meta = describe(&demo, "demo/reports-token").await;
            let current: Vec<_> = meta
                .versions
                .iter()
                .filter(|v| v.has(Stage::Current))
                .collect();
            let previous: Vec<_> = meta
                .versions
                .iter()
                .filter(|v| v.has(Stage::Previous))
                .collect();
            assert_eq!(current.len(), 1, "{point}: {meta:?}");
            assert!(
                meta.version(Stage::Pending).is_none(),
                "{point}: a pending version was left: {meta:?}"
            );
            assert_eq!(previous.len(), 1, "{point}: {meta:?}");
            assert_eq!(
                previous[0].id, old_version,
                "{point}: the old version is not previous"
            );
            assert_eq!(
                read_version(&demo, "demo/reports-token", &previous[0].id).await,
                old
            );
            let new = demo.get("demo/reports-token");
            assert_ne!(new, old, "{point}");
            // Exactly one new version was written (no duplicate staging).
            assert_eq!(meta.versions.len(), 2, "{point}: {meta:?}");
            let verify = demo.run(&["audit", "verify"]);
            assert!(verify.status.success(), "{point}: {}", stderr(&verify));
        }
    }
}

#[tokio::test]
async fn retire_resumes_after_a_kill() {
    for when in ["before", "after"] {
        let point = format!("retire:{when}");
        let demo = Demo::new();
        demo.edit("grace = \"30s\"", "grace = \"0s\"");
        // The record's own grace of 1m would win: use a record without one.
        kill_at(&demo, &["rotate", "local:db/orders"], &point);
        let out = demo.run(&["run", "--once"]);
        assert!(out.status.success(), "{point}: {}", stderr(&out));
        let meta = describe(&demo, "db/orders").await;
        assert_eq!(
            meta.versions
                .iter()
                .filter(|v| v.has(Stage::Current))
                .count(),
            1,
            "{point}"
        );
        assert!(
            meta.version(Stage::Previous).is_none(),
            "{point}: previous not retired: {meta:?}"
        );
    }
}

#[tokio::test]
async fn revocation_resumes_after_a_kill_at_every_phase_boundary() {
    for phase in ["disable_in_target", "verify_revoked", "disable_in_vault"] {
        for when in ["before", "after"] {
            let point = format!("{phase}:{when}");
            let demo = Demo::new();
            kill_at(&demo, &["revoke", "local:demo/reports-token"], &point);
            let out = demo.run(&["run", "--once"]);
            assert!(out.status.success(), "{point}: {}", stderr(&out));
            let meta = describe(&demo, "demo/reports-token").await;
            assert!(!meta.enabled, "{point}: still enabled");
            let trail = std::fs::read_to_string(demo.audit()).expect("trail");
            assert!(
                trail.contains("\"check\":\"vault_refuses_read\""),
                "{point}"
            );
        }
    }
}
