//! Client-side rate budgets, one per API family, so a burst of rotations
//! waits its turn instead of tripping AWS throttling.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::config::RateBudget;

/// The API families AWS throttles separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Value writes and stage moves.
    Write,
    /// Tagging.
    Tag,
    /// Value and metadata reads.
    Read,
    /// Listing.
    List,
}

/// One token bucket per family.
#[derive(Debug)]
pub struct Budgets {
    write: DefaultDirectRateLimiter,
    tag: DefaultDirectRateLimiter,
    read: DefaultDirectRateLimiter,
    list: DefaultDirectRateLimiter,
}

fn limiter(per_second: u32) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    // No burst above one second's worth: the quota is per second.
    RateLimiter::direct(Quota::per_second(rate))
}

impl Budgets {
    /// Budgets at the configured rates (a zero rate counts as one per second;
    /// the config rejects it before this point).
    pub fn new(rate: &RateBudget) -> Self {
        Self {
            write: limiter(rate.write),
            tag: limiter(rate.tag),
            read: limiter(rate.read),
            list: limiter(rate.list),
        }
    }

    /// Waits until a call of `family` fits the budget.
    pub async fn acquire(&self, family: Family) {
        let limiter = match family {
            Family::Write => &self.write,
            Family::Tag => &self.tag,
            Family::Read => &self.read,
            Family::List => &self.list,
        };
        limiter.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn a_burst_above_the_budget_is_spread_over_time() {
        let budgets = Budgets::new(&RateBudget {
            write: 20,
            tag: 1,
            read: 1,
            list: 1,
        });
        let start = Instant::now();
        // 20 fit in the first second's bucket; the next 10 wait about 0.5 s.
        for _ in 0..30 {
            budgets.acquire(Family::Write).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!(elapsed >= 0.45, "30 calls at 20/s took only {elapsed:.2}s");
        assert!(elapsed < 1.5, "30 calls at 20/s took {elapsed:.2}s");
    }
}
