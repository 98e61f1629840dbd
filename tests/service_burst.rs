//! A burst of 5,000 signed events against the running service: none is
//! lost, duplicates are applied once.
//!
//! Its own test binary, not a module of tests/integration: run beside the
//! other tests, the load would disturb the latency checks there (e.g.
//! tests/integration/service/events.rs revokes within a second).

#[path = "integration/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::service::Service;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_5000_signed_events_loses_none_and_applies_duplicates_once() {
    let service = Arc::new(Service::start().await);
    const UNIQUE: usize = 4_000;
    const TOTAL: usize = 5_000;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..32 {
        let (service, next) = (Arc::clone(&service), Arc::clone(&next));
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= TOTAL {
                    return statuses;
                }
                // Every fifth message after the first 4,000 resends an earlier one.
                let n = if i < UNIQUE { i } else { (i - UNIQUE) * 4 };
                let body = Service::event(
                    &format!("burst-{n}"),
                    "io.tenure.review.completed",
                    json!({ "record": "reports-token", "reviewer": "rita@example.com", "decision": "keep" }),
                );
                let status = service
                    .post_signed(&format!("msg_burst_{n}"), body)
                    .await
                    .status();
                statuses.push(status.as_u16());
            }
        });
    }
    let mut statuses = Vec::new();
    while let Some(batch) = tasks.join_next().await {
        statuses.extend(batch.expect("task"));
    }
    let intake = started.elapsed();
    assert_eq!(statuses.len(), TOTAL);
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), UNIQUE);
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        TOTAL - UNIQUE
    );

    let deadline = Instant::now() + Duration::from_secs(60);
    let applied = loop {
        let applied = service.audit_events();
        if applied.len() >= UNIQUE {
            break applied;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {UNIQUE} applied:\n{}",
            applied.len(),
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let ids: std::collections::HashSet<String> = applied
        .iter()
        .map(|e| e["data"]["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(applied.len(), UNIQUE, "each event applied exactly once");
    assert_eq!(ids.len(), UNIQUE);
    eprintln!(
        "burst: {TOTAL} requests in {intake:?}; all {UNIQUE} applied after {:?}",
        started.elapsed()
    );
}
