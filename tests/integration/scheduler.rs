//! Scheduling through the reconciler on the demo: a closed window defers
//! rotations but never revocations, and a schedule that missed hundreds of
//! ticks while nothing ran rotates once, not once per tick.

use chrono::{Duration, Timelike, Utc};
use tenure::app::App;
use tenure::state::RunKind;
use tenure_plugin_api::SecretAddress;

use crate::common::Demo;

async fn reconciler(demo: &Demo) -> App {
    let config = tenure::config::load(&demo.config).expect("config");
    tenure::app::open(config).await.expect("app")
}

fn address(text: &str) -> SecretAddress {
    text.parse().expect("address")
}

#[tokio::test]
async fn a_closed_window_defers_rotations_but_not_revocations() {
    let demo = Demo::new();
    // A one-hour window opening two hours from now (UTC).
    let opens = Utc::now() + Duration::hours(2);
    let closes = opens + Duration::hours(1);
    let window = format!(
        "{:02}:{:02}-{:02}:{:02}",
        opens.hour(),
        opens.minute(),
        closes.hour(),
        closes.minute()
    );
    demo.edit(
        "[retry]",
        &format!("[schedule]\nwindows = [\"{window}\"]\n\n[retry]"),
    );
    let reconciler = reconciler(&demo).await;
    let report = reconciler.pass().await.expect("pass");

    let acted: Vec<(String, RunKind)> = report
        .actions
        .iter()
        .map(|a| (a.secret.to_string(), a.kind))
        .collect();
    assert!(
        acted.contains(&("local:api/payments-token".into(), RunKind::Revoke)),
        "{acted:?}"
    );
    assert!(
        acted.iter().all(|(_, kind)| *kind != RunKind::Rotate),
        "{acted:?}"
    );
    let store = reconciler.store();
    assert!(
        store
            .runs_for(&address("local:db/orders"), 5)
            .await
            .expect("runs")
            .is_empty()
    );
    // The overdue rotation waits in the queue for the window and wakes the loop then.
    let queued = store
        .due(chrono::DateTime::<Utc>::MAX_UTC, 100)
        .await
        .expect("queue");
    let orders = queued
        .iter()
        .find(|q| q.secret == address("local:db/orders"))
        .expect("db/orders queued");
    let opening = opens
        .with_second(0)
        .expect("second")
        .with_nanosecond(0)
        .expect("nanos");
    assert!(
        orders.due >= opening && orders.due < closes,
        "{}",
        orders.due
    );
    assert!(report.next_due.is_some_and(|due| due <= orders.due));
}

#[tokio::test]
async fn a_schedule_that_missed_many_ticks_rotates_once() {
    let demo = Demo::new();
    // reports-token is 5 days old: an every-5-minutes schedule missed ~1,400 ticks.
    demo.edit_records(
        "secrets = \"local:demo/reports-token\"",
        "secrets = \"local:demo/reports-token\"\nschedule = \"*/5 * * * *\"",
    );
    let reconciler = reconciler(&demo).await;
    let secret = address("local:demo/reports-token");

    let first = reconciler.pass().await.expect("pass");
    let rotations = first
        .actions
        .iter()
        .filter(|a| a.secret == secret && a.kind == RunKind::Rotate)
        .count();
    assert_eq!(rotations, 1);
    let second = reconciler.pass().await.expect("pass");
    assert!(
        second.actions.iter().all(|a| a.secret != secret),
        "{:?}",
        second.actions
    );
    let runs = reconciler
        .store()
        .runs_for(&secret, 10)
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1);
}
