//! Scheduling: when due work may start and how fast it may go.
//!
//! Triggers only wake the reconciler or enqueue; the reconciler acts.
//!
//! ```text
//! policy  allowed windows (UTC), blackouts, stable per-secret jitter; urgent work skips them
//! limits  per-provider concurrency and start rate
//! cron    tokio-cron-scheduler jobs for records with a `schedule`
//! ```

mod cron;
mod limits;
mod policy;

pub use cron::{CronError, CronTriggers};
pub use limits::{Budget, Permit, ProviderLimits};
pub use policy::{Blackout, SchedulePolicy, Window, stable_offset};
