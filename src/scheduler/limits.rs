//! Per-provider budgets: at most `concurrency` actions at once and at most
//! `per_second` started per second, so a mass expiry queues up instead of
//! storming one vault. The global limit is `tenure.concurrency`.
//!
//! The rate is kept as a start-time spacing on tokio's clock (not
//! governor's, which cannot follow tokio's paused time in tests): each start
//! takes the next free slot, `1 / per_second` after the previous one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One provider's budget, as configured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Actions at once; `None`: only the global limit.
    pub concurrency: Option<usize>,
    /// Actions started per second; `None`: no rate limit.
    pub per_second: Option<f64>,
}

struct Limit {
    slots: Option<Arc<Semaphore>>,
    spacing: Option<Duration>,
    next_start: Mutex<Option<Instant>>,
}

/// The budgets of every provider that has one.
#[derive(Default)]
pub struct ProviderLimits {
    limits: HashMap<String, Limit>,
}

impl std::fmt::Debug for ProviderLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderLimits")
            .field("providers", &self.limits.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Held while an action runs; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl ProviderLimits {
    /// Budgets by provider name.
    pub fn new(budgets: &HashMap<String, Budget>) -> Self {
        let limits = budgets
            .iter()
            .map(|(name, budget)| {
                let limit = Limit {
                    slots: budget
                        .concurrency
                        .map(|n| Arc::new(Semaphore::new(n.max(1)))),
                    spacing: budget
                        .per_second
                        .filter(|r| *r > 0.0)
                        .map(|r| Duration::from_secs_f64(1.0 / r)),
                    next_start: Mutex::new(None),
                };
                (name.clone(), limit)
            })
            .collect();
        Self { limits }
    }

    /// Waits for a slot and a start time in `provider`'s budget.
    pub async fn acquire(&self, provider: &str) -> Permit {
        let Some(limit) = self.limits.get(provider) else {
            return Permit { _slot: None };
        };
        let slot = match &limit.slots {
            Some(slots) => Arc::clone(slots).acquire_owned().await.ok(),
            None => None,
        };
        if let Some(spacing) = limit.spacing {
            let start = {
                let mut next = limit.next_start.lock().await;
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + spacing);
                start
            };
            tokio::time::sleep_until(start).await;
        }
        Permit { _slot: slot }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrency_and_rate_hold_under_a_burst() {
        let limits = Arc::new(ProviderLimits::new(&HashMap::from([(
            "vault".to_owned(),
            Budget {
                concurrency: Some(2),
                per_second: Some(5.0),
            },
        )])));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (limits, running, peak) =
                (Arc::clone(&limits), Arc::clone(&running), Arc::clone(&peak));
            tasks.push(tokio::spawn(async move {
                let _permit = limits.acquire("vault").await;
                let at = started.elapsed();
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                at
            }));
        }
        let mut starts = Vec::new();
        for task in tasks {
            starts.push(task.await.expect("task"));
        }
        starts.sort();
        assert!(peak.load(Ordering::SeqCst) <= 2);
        // Five per second: the tenth starts no sooner than 1.8 s in.
        for (i, at) in starts.iter().enumerate() {
            let earliest = Duration::from_millis(200 * u64::try_from(i).expect("index"));
            assert!(*at >= earliest, "start {i} at {at:?}");
        }
        // An unbudgeted provider never waits.
        let before = Instant::now();
        let _permit = limits.acquire("local").await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }
}
