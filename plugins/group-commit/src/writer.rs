//! The writer thread: takes everything queued as one batch, commits it and
//! answers each caller, until the queue's sender is dropped.

use std::panic::{self, AssertUnwindSafe};

use tokio::sync::{mpsc, oneshot};

use crate::{Commit, Error};

/// One queued operation and where its caller waits.
pub struct Request<C: Commit> {
    pub op: C::Op,
    pub reply: oneshot::Sender<Result<C::Output, Error<C::Error>>>,
}

/// Starts the writer thread with the commit in `idle` and returns its
/// queue. The thread gets the commit only once it runs, so when it cannot
/// be started the commit stays in `idle` for the next caller to try again.
pub fn start<C: Commit>(
    name: &str,
    idle: &mut Option<C>,
) -> Result<mpsc::UnboundedSender<Request<C>>, Error<C::Error>> {
    let (handover, handed) = std::sync::mpsc::sync_channel::<(C, _)>(1);
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            if let Ok((commit, queue)) = handed.recv() {
                run(commit, queue);
            }
        })
        .map_err(Error::Spawn)?;
    let (queue, receiver) = mpsc::unbounded_channel();
    if let Some(commit) = idle.take() {
        // The thread waits for it: the channel has room and a receiver.
        let _ = handover.send((commit, receiver));
    }
    Ok(queue)
}

/// Commits batches until every sender is gone and the queue is empty.
fn run<C: Commit>(mut commit: C, mut queue: mpsc::UnboundedReceiver<Request<C>>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while let Ok(next) = queue.try_recv() {
            batch.push(next);
        }
        // A panic drops the batch's unanswered replies (their callers get
        // `Stopped`); the writer goes on with the next batch.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| one_batch(&mut commit, batch)));
        let _ = panic::catch_unwind(AssertUnwindSafe(|| commit.end()));
    }
}

/// Begins, applies each operation, writes once, answers every caller.
fn one_batch<C: Commit>(commit: &mut C, batch: Vec<Request<C>>) {
    if let Err(err) = commit.begin(batch.len()) {
        for request in batch {
            let _ = request.reply.send(Err(Error::Failed(commit.share(&err))));
        }
        return;
    }
    let mut applied = Vec::with_capacity(batch.len());
    for Request { op, reply } in batch {
        match commit.apply(op) {
            Ok(staged) => applied.push((staged, reply)),
            // Refused: its caller alone fails, now.
            Err(err) => {
                let _ = reply.send(Err(Error::Failed(err)));
            }
        }
    }
    if applied.is_empty() {
        return;
    }
    match commit.write() {
        Ok(written) => {
            for (staged, reply) in applied {
                let _ = reply.send(Ok(C::output(staged, &written)));
            }
        }
        Err(err) => {
            for (_, reply) in applied {
                let _ = reply.send(Err(Error::Failed(commit.share(&err))));
            }
        }
    }
}
