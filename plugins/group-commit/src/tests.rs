//! The promises of the crate docs, one test each.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

/// What a test sees of the commit, and how it steers it.
#[derive(Clone, Default)]
struct Probe {
    durable: Arc<Mutex<Vec<i64>>>,
    begins: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
    ends: Arc<AtomicUsize>,
    fail_begin: Arc<AtomicBool>,
    fail_write: Arc<AtomicBool>,
    panic_write: Arc<AtomicBool>,
    /// Held during each write (to let a queue build up behind it).
    gate: Arc<Mutex<()>>,
    /// Set when the commit is dropped.
    dropped: Arc<AtomicBool>,
}

/// A log of numbers: an op is a number, refused when negative; the write
/// appends the batch to `durable` unless told to fail; each caller gets
/// its number and the number of the write that held it.
struct Numbers {
    staged: Vec<i64>,
    probe: Probe,
}

impl Drop for Numbers {
    fn drop(&mut self) {
        self.probe.dropped.store(true, Ordering::SeqCst);
    }
}

impl Commit for Numbers {
    type Op = i64;
    type Staged = i64;
    type Written = usize;
    type Output = (i64, usize);
    type Error = String;

    fn begin(&mut self, _len: usize) -> Result<(), String> {
        self.probe.begins.fetch_add(1, Ordering::SeqCst);
        if self.probe.fail_begin.load(Ordering::SeqCst) {
            return Err("begin failed".into());
        }
        Ok(())
    }

    fn apply(&mut self, op: i64) -> Result<i64, String> {
        if op < 0 {
            return Err(format!("refused {op}"));
        }
        self.staged.push(op);
        Ok(op)
    }

    fn write(&mut self) -> Result<usize, String> {
        let probe = &self.probe;
        let _held = probe.gate.lock().unwrap_or_else(|e| e.into_inner());
        assert!(!probe.panic_write.load(Ordering::SeqCst), "write panicked");
        if probe.fail_write.load(Ordering::SeqCst) {
            return Err("disk full".into());
        }
        std::thread::sleep(Duration::from_millis(2));
        probe
            .durable
            .lock()
            .expect("durable")
            .append(&mut self.staged);
        Ok(probe.writes.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn output(staged: i64, written: &usize) -> (i64, usize) {
        (staged, *written)
    }

    fn end(&mut self) {
        self.staged.clear();
        self.probe.ends.fetch_add(1, Ordering::SeqCst);
    }

    fn share(&self, error: &String) -> String {
        error.clone()
    }
}

fn numbers() -> (Arc<GroupCommit<Numbers>>, Probe) {
    let probe = Probe::default();
    let commit = Numbers {
        staged: Vec::new(),
        probe: probe.clone(),
    };
    (Arc::new(GroupCommit::new("test-writer", commit)), probe)
}

/// Waits until `counter` reaches `n`.
fn wait_for(counter: &AtomicUsize, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counter.load(Ordering::SeqCst) < n {
        assert!(std::time::Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Queues ops while the writer is held in a write, so they form one batch.
/// The busy op (0) is written alone, then `ops` in one batch.
fn one_batch_of(
    group: &GroupCommit<Numbers>,
    probe: &Probe,
    ops: &[i64],
) -> Vec<Ticket<(i64, usize), String>> {
    let held = probe.gate.lock().expect("gate");
    let begun = probe.begins.load(Ordering::SeqCst);
    // Something for the writer to be busy with while the batch queues up.
    let busy = group.enqueue(0);
    wait_for(&probe.begins, begun + 1);
    let tickets = ops.iter().map(|op| group.enqueue(*op)).collect();
    drop(held);
    let _ = busy.wait_blocking();
    tickets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_writes_and_each_gets_its_own_result() {
    let (group, probe) = numbers();
    let callers: Vec<_> = (0..200)
        .map(|i| {
            let group = Arc::clone(&group);
            tokio::spawn(async move { (i, group.submit(i).await) })
        })
        .collect();
    for caller in callers {
        let (i, result) = caller.await.expect("join");
        let (got, write) = result.expect("committed");
        assert_eq!(got, i, "a caller got another caller's result");
        assert!(write >= 1);
    }
    let writes = probe.writes.load(Ordering::SeqCst);
    assert!(writes < 200, "200 concurrent callers made {writes} writes");
    let mut durable = probe.durable.lock().expect("durable").clone();
    durable.sort_unstable();
    assert_eq!(durable, (0..200).collect::<Vec<_>>());
}

#[test]
fn a_batch_is_applied_in_arrival_order_with_one_write() {
    let (group, probe) = numbers();
    let tickets = one_batch_of(&group, &probe, &[1, 2, 3, 4]);
    let writes: Vec<_> = tickets
        .into_iter()
        .map(|t| t.wait_blocking().expect("committed").1)
        .collect();
    assert_eq!(writes, vec![2; 4], "one write after the busy one");
    assert_eq!(*probe.durable.lock().expect("durable"), vec![0, 1, 2, 3, 4]);
}

#[test]
fn a_refused_op_fails_alone_and_leaves_nothing() {
    let (group, probe) = numbers();
    let tickets = one_batch_of(&group, &probe, &[1, -2, 3]);
    let results: Vec<_> = tickets.into_iter().map(Ticket::wait_blocking).collect();
    assert!(matches!(&results[0], Ok((1, _))));
    assert!(matches!(&results[1], Err(Error::Failed(e)) if e == "refused -2"));
    assert!(matches!(&results[2], Ok((3, _))));
    assert_eq!(*probe.durable.lock().expect("durable"), vec![0, 1, 3]);
    // A batch with nothing applied is not written.
    let before = probe.writes.load(Ordering::SeqCst);
    assert!(group.submit_blocking(-1).is_err());
    assert_eq!(probe.writes.load(Ordering::SeqCst), before);
}

#[test]
fn a_failed_write_fails_every_caller_of_the_batch() {
    let (group, probe) = numbers();
    probe.fail_write.store(true, Ordering::SeqCst);
    let tickets = one_batch_of(&group, &probe, &[1, -2, 3]);
    let results: Vec<_> = tickets.into_iter().map(Ticket::wait_blocking).collect();
    assert!(matches!(&results[0], Err(Error::Failed(e)) if e == "disk full"));
    assert!(matches!(&results[1], Err(Error::Failed(e)) if e == "refused -2"));
    assert!(matches!(&results[2], Err(Error::Failed(e)) if e == "disk full"));
    assert!(probe.durable.lock().expect("durable").is_empty());
    probe.fail_write.store(false, Ordering::SeqCst);
    assert!(group.submit_blocking(5).is_ok(), "the writer goes on");
}

#[test]
fn a_failed_begin_fails_every_caller_and_still_ends() {
    let (group, probe) = numbers();
    probe.fail_begin.store(true, Ordering::SeqCst);
    let result = group.submit_blocking(1);
    assert!(matches!(result, Err(Error::Failed(e)) if e == "begin failed"));
    assert_eq!(probe.writes.load(Ordering::SeqCst), 0);
    wait_for(&probe.ends, 1);
    probe.fail_begin.store(false, Ordering::SeqCst);
    assert!(group.submit_blocking(2).is_ok());
}

#[test]
fn a_panic_fails_its_batch_not_the_writer() {
    let (group, probe) = numbers();
    probe.panic_write.store(true, Ordering::SeqCst);
    let result = group.submit_blocking(1);
    assert!(matches!(result, Err(Error::Stopped)), "{result:?}");
    // End runs after a panic (once the callers have their answer).
    wait_for(&probe.ends, 1);
    probe.panic_write.store(false, Ordering::SeqCst);
    assert!(matches!(group.submit_blocking(2), Ok((2, _))));
}

/// Callers that queue again as soon as they are answered race the end of
/// each batch: every one of them must be answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_caller_is_left_waiting() {
    let (group, probe) = numbers();
    let callers: Vec<_> = (0..32)
        .map(|i| {
            let group = Arc::clone(&group);
            tokio::spawn(async move {
                for step in 0..50 {
                    group.submit(i * 100 + step).await.expect("committed");
                }
            })
        })
        .collect();
    let all = futures_all(callers);
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("a caller was left waiting");
    assert_eq!(probe.durable.lock().expect("durable").len(), 32 * 50);
}

async fn futures_all(handles: Vec<tokio::task::JoinHandle<()>>) {
    for handle in handles {
        handle.await.expect("join");
    }
}

#[test]
fn blocking_threads_share_writes_too() {
    let (group, probe) = numbers();
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let group = Arc::clone(&group);
            std::thread::spawn(move || group.submit_blocking(i).expect("committed"))
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        assert_eq!(thread.join().expect("join").0, i as i64);
    }
    assert!(probe.writes.load(Ordering::SeqCst) >= 1);
}

#[test]
fn dropping_the_handle_commits_what_was_queued_then_stops_the_writer() {
    let (group, probe) = numbers();
    let held = probe.gate.lock().expect("gate");
    let tickets: Vec<_> = (1..=5).map(|op| group.enqueue(op)).collect();
    drop(group);
    assert!(
        !probe.dropped.load(Ordering::SeqCst),
        "stopped with work queued"
    );
    drop(held);
    for (op, ticket) in (1..=5).zip(tickets) {
        assert_eq!(ticket.wait_blocking().expect("committed").0, op);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !probe.dropped.load(Ordering::SeqCst) {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer did not stop"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(*probe.durable.lock().expect("durable"), vec![1, 2, 3, 4, 5]);
}

#[test]
fn an_unused_handle_starts_no_writer_and_drops_its_commit() {
    let (group, probe) = numbers();
    drop(group);
    assert!(probe.dropped.load(Ordering::SeqCst));
}
