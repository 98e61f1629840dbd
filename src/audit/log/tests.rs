//! Group commit of the audit log under concurrency: shared fsyncs, one
//! valid chain, and no append lost at the end of a flush.

use serde_json::json;

use super::*;

/// The event a run `run` records for its step `step`.
fn step(run: usize, step: u64) -> Event {
    Event::new(
        "phase",
        None,
        Some(&format!("run-{run}")),
        json!({ "step": step }),
    )
}

/// A trail in a fresh folder, and what `callers` tasks, each appending
/// through its own handle on one log with `append(log, i)`, returned.
async fn appended_concurrently<T, F>(
    callers: usize,
    append: impl Fn(AuditLog, usize) -> F,
) -> (tempfile::TempDir, std::path::PathBuf, Vec<T>)
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let dir = tempfile::tempdir().expect("tempdir");
    let trail = dir.path().join("audit.jsonl");
    let log = AuditLog::new(&trail);
    let tasks: Vec<_> = (0..callers)
        .map(|i| tokio::spawn(append(log.clone(), i)))
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    (dir, trail, answers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_share_fsyncs_and_keep_one_valid_chain() {
    let (_dir, trail, mut last) = appended_concurrently(200, |log, i| async move {
        let events = vec![step(i, 1), step(i, 2)];
        log.append_all(events).await.expect("append")
    })
    .await;
    last.sort_unstable();
    last.dedup();
    assert_eq!(
        last.len(),
        200,
        "every caller gets its own last sequence number"
    );
    assert_eq!(last.last(), Some(&400));
    let text = std::fs::read_to_string(&trail).expect("trail");
    assert_eq!(text.lines().count(), 400);
    // Each caller's two events are adjacent and in order.
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    for pair in lines.chunks(2) {
        assert_eq!(pair[0]["run"], pair[1]["run"]);
        assert_eq!(
            (
                pair[0]["data"]["step"].as_u64(),
                pair[1]["data"]["step"].as_u64()
            ),
            (Some(1), Some(2))
        );
    }
    let report = crate::audit::verify(&trail).expect("the chain verifies");
    assert_eq!(report.entries, 400);
}

/// Callers that append again as soon as they are answered race the
/// writer's end: none of them may be left without an answer or an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_racing_the_end_of_a_flush_are_all_written() {
    let (_dir, trail, _) = appended_concurrently(32, |log, i| async move {
        for n in 0..25 {
            log.append(step(i, n)).await.expect("append");
        }
    })
    .await;
    let report = crate::audit::verify(&trail).expect("the chain verifies");
    assert_eq!(report.entries, 32 * 25);
}
