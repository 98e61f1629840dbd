//! `tenure run`: reconcile passes on schedule until shutdown.
//!
//! After each pass the service sleeps until the earliest of: the next due
//! time from the plan, the next retry or grace-period end, and the
//! configured `reconcile_interval` (so new inventory is noticed). Shutdown is
//! passed in, so tests and the binary decide what stops it.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use tracing::{error, info};

use crate::reconcile::{PassReport, ReconcileError, Reconciler};

fn summary(report: &PassReport) -> String {
    let mut kinds: Vec<_> = report.by_kind.iter().collect();
    kinds.sort();
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let failed = report
        .actions
        .iter()
        .filter(|a| !a.outcome.is_success())
        .count();
    format!(
        "Pass complete: {} secrets decided ({}); {} actions, {} not successful.",
        report.decided,
        kinds.join(", "),
        report.actions.len(),
        failed
    )
}

/// Runs one pass and logs its summary.
pub async fn pass_once(reconciler: &Reconciler) -> Result<PassReport, ReconcileError> {
    let report = reconciler.pass().await?;
    info!("{}", summary(&report));
    Ok(report)
}

/// Runs passes until `shutdown` completes.
pub async fn run(reconciler: &Reconciler, interval: Duration, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let wait = match pass_once(reconciler).await {
            Ok(report) => {
                let until_due = report
                    .next_due
                    .map(|due| (due - Utc::now()).to_std().unwrap_or(Duration::ZERO));
                let wait = until_due
                    .map_or(interval, |d| d.min(interval))
                    .max(Duration::from_secs(1));
                info!(
                    sleep_seconds = wait.as_secs(),
                    "Sleeping until the next due time."
                );
                wait
            }
            Err(err) => {
                error!(error = %err, "Reconcile pass failed; retrying after the interval.");
                interval.min(Duration::from_secs(60))
            }
        };
        tokio::select! {
            () = &mut shutdown => {
                info!("Shutting down.");
                return;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}
