//! `tenure run`: the service loop.
//!
//! Each turn applies stored events (exactly once, as governance signals),
//! then runs one reconcile pass, then sleeps until the earliest of: the next
//! due time, the configured `reconcile_interval`, or a wake-up (an event was
//! stored, an operator acted). With `[server]` configured it also serves
//! events, the admin API, health, readiness and metrics.
//!
//! Shutdown (SIGTERM, Ctrl-C) stops intake at once; a pass in progress may
//! finish within `server.shutdown_deadline`, after which it is dropped: every
//! phase is persisted before its side effect, so the next start resumes it.
//! The HTTP server and the NATS subscriber run as the app's background tasks
//! (`crate::app::Tasks`); the caller drains the rest (queued notifications)
//! with `App::shutdown` once `run` returns.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tracing::{error, info, warn};

use crate::app::{App, Tasks};
use crate::events::{ProcessError, process_pending};
use crate::reconcile::{PassReport, ReconcileError, Reconciler};
use crate::server::{self, AppState, ServerError};

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
    for action in report.actions.iter().filter(|a| !a.outcome.is_success()) {
        warn!(secret = %action.secret, action = %action.kind, outcome = action.outcome.label(), "{}: the {} did not succeed ({:?}).", action.secret, action.kind, action.outcome);
    }
    info!("{}", summary(&report));
    Ok(report)
}

/// Why the service stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The HTTP server could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The cron triggers could not start.
    #[error(transparent)]
    Cron(#[from] crate::scheduler::CronError),
}

/// Applies every stored event and layers the stored signals again; returns
/// when each applied one was received.
async fn apply_events(reconciler: &Reconciler) -> Result<Vec<DateTime<Utc>>, ProcessError> {
    let mut received = Vec::new();
    let mut reload = false;
    loop {
        let batch = process_pending(reconciler.store().as_ref(), reconciler.audit(), 500).await?;
        reload |= batch.reload;
        let done = batch.applied.is_empty();
        received.extend(batch.applied.into_iter().map(|(_, at)| at));
        if done {
            break;
        }
    }
    if reload {
        let path = reconciler.config().path.clone();
        match crate::config::load(&path) {
            Ok(fresh) => {
                info!(config = %path.display(), "Reloaded governance after io.tenure.governance.updated.");
                if let Err(err) = reconciler.reload_governance(fresh).await {
                    error!(error = %err, "Could not apply the reloaded governance.");
                }
            }
            Err(err) => {
                error!(config = %path.display(), "Governance reload refused; keeping the last good configuration:\n{err}");
            }
        }
    } else if let Err(err) = reconciler.refresh_signals().await {
        // Every turn, not only after events: another replica (or the admin
        // API) may have removed a signal. One small read.
        error!(error = %err, "Could not apply the new governance signals.");
    }
    Ok(received)
}

/// One turn: events, then a pass. Returns how long to sleep.
async fn turn(reconciler: &Reconciler, interval: Duration) -> Duration {
    let received = match apply_events(reconciler).await {
        Ok(received) => received,
        Err(err) => {
            error!(error = %err, "Could not apply stored events; they stay pending.");
            Vec::new()
        }
    };
    match pass_once(reconciler).await {
        Ok(report) => {
            let enforced = Utc::now();
            let latency = &crate::metrics::global().event_to_enforcement_seconds;
            for at in received {
                latency.observe((enforced - at).to_std().unwrap_or_default().as_secs_f64());
            }
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
    }
}

/// Binds and serves HTTP (or HTTPS when a certificate is configured) until
/// `stop`, within the configured bounds (see `server::serve`).
async fn start_server(
    server_config: &crate::config::ServerConfig,
    reconciler: &Arc<Reconciler>,
    tasks: &Tasks,
    wake: &Arc<Notify>,
    stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, ServiceError> {
    let state = AppState::new(server_config, Arc::clone(reconciler), Arc::clone(wake))?;
    let tls = server_config
        .tls
        .as_ref()
        .map(|tls| {
            server::tls_acceptor(&tls.cert, &tls.key).map_err(|detail| ServerError::Tls {
                cert: tls.cert.clone(),
                source: std::io::Error::other(detail),
            })
        })
        .transpose()?;
    let listener = server::bind(server_config).await?;
    let addr = listener.local_addr().map_or(server_config.listen, |a| a);
    let app = server::router(state, server_config);
    let bounds = server::Bounds {
        max_connections: server_config.max_connections,
        header_timeout: server_config.header_timeout,
        shutdown_deadline: server_config.shutdown_deadline,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    info!(%addr, "Listening on {scheme}://{addr}.");
    Ok(tasks.spawn(server::serve(listener, app, bounds, tls, stop)))
}

/// The distinct cron expressions of the records' schedules.
fn cron_schedules(config: &crate::config::Config) -> Vec<String> {
    let mut schedules: Vec<String> = config
        .governance
        .records
        .iter()
        .filter_map(|r| r.schedule.as_ref().map(|s| s.source.clone()))
        .collect();
    schedules.sort();
    schedules.dedup();
    schedules
}

/// Runs until `shutdown` completes: serves HTTP when configured, consumes
/// NATS when configured, and turns the loop. The app's other background
/// tasks keep running: drain them with `App::shutdown` afterwards.
pub async fn run(app: &App, shutdown: impl Future<Output = ()>) -> Result<(), ServiceError> {
    let reconciler = app.reconciler();
    let tasks = app.tasks();
    let config = reconciler.config();
    let interval = config.reconcile_interval;
    let deadline = app.shutdown_deadline();
    let wake = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    // Intake stops at the start of shutdown, before the app's other tasks.
    let intake = tasks.token().child_token();

    let server = match &config.server {
        Some(server_config) => {
            Some(start_server(server_config, reconciler, tasks, &wake, stop_rx.clone()).await?)
        }
        None => None,
    };
    let nats = config.nats.clone().map(|nats| {
        tasks.spawn(crate::events::nats::run(
            nats,
            Arc::clone(reconciler.store()),
            Arc::clone(&wake),
            intake.clone(),
        ))
    });
    let mut schedules = cron_schedules(&config);
    let mut cron =
        crate::scheduler::CronTriggers::start(schedules.clone(), Arc::clone(&wake)).await?;
    drop(config);

    tokio::pin!(shutdown);
    loop {
        let work = turn(reconciler, interval);
        tokio::pin!(work);
        let wait = tokio::select! {
            wait = &mut work => wait,
            () = &mut shutdown => {
                let _ = stop_tx.send(true);
                intake.cancel();
                info!(deadline_seconds = deadline.as_secs(), "Shutting down: intake stopped; letting the pass in progress finish.");
                match tokio::time::timeout(deadline, &mut work).await {
                    Ok(_) => info!("The pass in progress finished."),
                    Err(_) => warn!("Shutdown deadline passed; unfinished runs are checkpointed and resume on the next start."),
                }
                break;
            }
        };
        // A governance reload may have changed the records' schedules.
        let current = cron_schedules(&reconciler.config());
        if current != schedules {
            match crate::scheduler::CronTriggers::start(current.clone(), Arc::clone(&wake)).await {
                Ok(fresh) => {
                    std::mem::replace(&mut cron, fresh).stop().await;
                    info!(
                        schedules = current.len(),
                        "Cron triggers follow the reloaded governance."
                    );
                    schedules = current;
                }
                Err(err) => {
                    error!(error = %err, "Could not start the reloaded cron triggers; keeping the previous ones.")
                }
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    let _ = stop_tx.send(true);
    intake.cancel();
    cron.stop().await;
    info!("Shutting down.");
    if let Some(server) = server {
        let _ = tokio::time::timeout(deadline, server).await;
    }
    if let Some(nats) = nats {
        let _ = tokio::time::timeout(deadline, nats).await;
    }
    Ok(())
}
