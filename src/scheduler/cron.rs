//! Cron triggers (tokio-cron-scheduler): one job per distinct record
//! schedule, firing in UTC. A tick only wakes the service loop; the pass it
//! runs decides (`schedule_due`) and enqueues, so after downtime each
//! overdue secret runs once, however many ticks were missed.

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};
use tracing::debug;

/// Why the cron triggers could not start.
#[derive(Debug, thiserror::Error)]
pub enum CronError {
    /// The scheduler refused an expression or failed to start.
    #[error("cron scheduler: {detail}: {source}")]
    Scheduler {
        /// What was being done.
        detail: String,
        /// The error.
        source: JobSchedulerError,
    },
}

fn scheduler_error(detail: impl Into<String>) -> impl FnOnce(JobSchedulerError) -> CronError {
    let detail = detail.into();
    move |source| CronError::Scheduler { detail, source }
}

/// Running cron jobs; stop them with [`CronTriggers::stop`].
pub struct CronTriggers {
    scheduler: Option<JobScheduler>,
}

impl std::fmt::Debug for CronTriggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CronTriggers")
            .field("running", &self.scheduler.is_some())
            .finish()
    }
}

/// tokio-cron-scheduler wants six fields (seconds first); records may use five.
fn with_seconds(expression: &str) -> String {
    if expression.split_whitespace().count() == 5 {
        format!("0 {expression}")
    } else {
        expression.to_owned()
    }
}

impl CronTriggers {
    /// Starts one job per distinct expression; each tick notifies `wake`.
    pub async fn start(
        expressions: impl IntoIterator<Item = String>,
        wake: Arc<Notify>,
    ) -> Result<Self, CronError> {
        let mut distinct: Vec<String> = expressions.into_iter().map(|e| with_seconds(&e)).collect();
        distinct.sort();
        distinct.dedup();
        if distinct.is_empty() {
            return Ok(Self { scheduler: None });
        }
        let scheduler = JobScheduler::new()
            .await
            .map_err(scheduler_error("create"))?;
        for expression in distinct {
            let wake = Arc::clone(&wake);
            let label = expression.clone();
            let job = Job::new_async(expression.as_str(), move |_, _| {
                let wake = Arc::clone(&wake);
                let label = label.clone();
                Box::pin(async move {
                    debug!(schedule = %label, "Cron tick: waking the reconciler.");
                    wake.notify_one();
                })
            })
            .map_err(scheduler_error(format!("schedule {expression:?}")))?;
            scheduler
                .add(job)
                .await
                .map_err(scheduler_error(format!("add {expression:?}")))?;
        }
        scheduler.start().await.map_err(scheduler_error("start"))?;
        Ok(Self {
            scheduler: Some(scheduler),
        })
    }

    /// Stops every job.
    pub async fn stop(mut self) {
        if let Some(mut scheduler) = self.scheduler.take() {
            let _ = scheduler.shutdown().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn five_fields_gain_a_seconds_field() {
        assert_eq!(with_seconds("0 3 * * *"), "0 0 3 * * *");
        assert_eq!(with_seconds("*/2 * * * * *"), "*/2 * * * * *");
    }

    #[tokio::test]
    async fn a_tick_wakes_the_loop() {
        let wake = Arc::new(Notify::new());
        let triggers = CronTriggers::start(["* * * * * *".to_owned()], Arc::clone(&wake))
            .await
            .expect("start");
        tokio::time::timeout(Duration::from_secs(3), wake.notified())
            .await
            .expect("a tick within 3 s");
        triggers.stop().await;
    }
}
