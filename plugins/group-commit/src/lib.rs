//! Group commit: many callers, one durable write per batch.
//!
//! A durable write (an fsync, an atomic file replacement) costs milliseconds
//! however little it carries. When callers each wait for their own, they
//! queue behind one another's. With group commit, callers queue their
//! operation instead; one writer takes everything queued, applies it, makes
//! it durable with ONE write, and answers each caller with its own result.
//! Callers that arrive while a batch is being written form the next one, so
//! the busier it gets, the more each write carries.
//!
//! What a batch does is a [`Commit`]: [`Commit::begin`] (take a lock, read
//! the current state), [`Commit::apply`] for each operation in arrival
//! order, one [`Commit::write`], then [`Commit::end`]. [`GroupCommit`] runs
//! it on its own writer thread and keeps these promises:
//!
//! - **Durable before answered.** A caller gets `Ok` only after the write
//!   that holds its operation returned `Ok`.
//! - **Own result.** Each caller gets [`Commit::output`] of its own operation
//!   (its sequence number, its value), never another caller's.
//! - **A failed batch fails every caller in it.** When `begin` or `write`
//!   fails, every caller whose operation was in the batch (or applied, for
//!   `write`) gets a copy of that error ([`Commit::share`]). Only an
//!   operation that `apply` refuses fails alone (it must leave nothing
//!   behind); a batch in which nothing applied is not written.
//! - **No lost wakeups.** An operation queued at any moment, even while the
//!   writer is finishing a batch, is in the next batch: the queue is a
//!   channel the writer waits on, not a flag it checks.
//! - **A panic fails its batch, not the writer.** The callers of a batch
//!   whose commit panicked get [`Error::Stopped`]; [`Commit::end`] still
//!   runs, and the next batch is committed as usual.
//! - **Clean stop.** The writer thread starts with the first operation and
//!   stops once the [`GroupCommit`] is dropped and every operation queued
//!   before that has been committed and answered; the [`Commit`] is then
//!   dropped (releasing whatever it holds).
//!
//! Callers may be async ([`GroupCommit::submit`]) or blocking threads
//! ([`GroupCommit::submit_blocking`]). A caller that stops waiting does not
//! withdraw its operation: it is committed all the same.

mod writer;

#[cfg(test)]
mod tests;

use std::sync::{Mutex, OnceLock, PoisonError};

use tokio::sync::{mpsc, oneshot};

use writer::Request;

/// What a writer does with one batch. Every method runs on the writer
/// thread, one batch at a time, so `&mut self` is the only state needed.
pub trait Commit: Send + 'static {
    /// One caller's operation.
    type Op: Send + 'static;
    /// What an applied operation leaves until the batch is written (its
    /// place in the batch, its result).
    type Staged;
    /// What the durable write returns (the last sequence number written).
    type Written;
    /// What a caller gets once its operation is durable.
    type Output: Send + 'static;
    /// Why an operation or a batch failed.
    type Error: Send + 'static;

    /// Starts a batch of `len` operations (takes a lock, reads the current
    /// state). An error fails every caller of the batch, and nothing of it is
    /// applied.
    fn begin(&mut self, len: usize) -> Result<(), Self::Error> {
        let _ = len;
        Ok(())
    }

    /// Applies one operation. An error fails only its caller, and the
    /// operation must then leave nothing behind; the others still apply.
    fn apply(&mut self, op: Self::Op) -> Result<Self::Staged, Self::Error>;

    /// Makes every operation applied since `begin` durable, with one write.
    /// Called only when at least one operation applied. An error fails every
    /// caller whose operation applied.
    fn write(&mut self) -> Result<Self::Written, Self::Error>;

    /// A caller's result, from what its operation staged and what the
    /// batch's write returned.
    fn output(staged: Self::Staged, written: &Self::Written) -> Self::Output;

    /// Ends the batch, whatever happened (releases what `begin` took). Runs
    /// after every batch, once its callers are answered, also after a failed
    /// `begin` or a panic.
    fn end(&mut self) {}

    /// The copy of a batch's error that each of its callers gets.
    fn share(&self, error: &Self::Error) -> Self::Error;
}

/// Why a caller got no output.
#[derive(Debug, thiserror::Error)]
pub enum Error<E> {
    /// The operation was refused, or its batch failed (see [`Commit`]).
    #[error(transparent)]
    Failed(E),
    /// The writer dropped the operation unanswered: its batch panicked.
    #[error("the group-commit writer stopped before answering")]
    Stopped,
    /// The writer thread could not be started.
    #[error("cannot start the group-commit writer thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// A caller's queued operation; wait on it for the result.
#[must_use = "the operation is committed anyway; wait to know when it is durable"]
pub struct Ticket<T, E> {
    answer: Result<oneshot::Receiver<Result<T, Error<E>>>, Error<E>>,
}

impl<T, E> Ticket<T, E> {
    /// Waits until the operation's batch is written; its result.
    pub async fn wait(self) -> Result<T, Error<E>> {
        match self.answer {
            Ok(answer) => answer.await.unwrap_or(Err(Error::Stopped)),
            Err(err) => Err(err),
        }
    }

    /// [`Ticket::wait`] for a blocking thread. Panics when called from
    /// async code (use `wait` there).
    pub fn wait_blocking(self) -> Result<T, Error<E>> {
        match self.answer {
            Ok(answer) => answer.blocking_recv().unwrap_or(Err(Error::Stopped)),
            Err(err) => Err(err),
        }
    }
}

type Queue<C> = mpsc::UnboundedSender<Request<C>>;

/// The queue of one [`Commit`] and its writer thread (see the crate docs).
pub struct GroupCommit<C: Commit> {
    /// The writer thread's name.
    name: String,
    /// The queue, once the writer runs.
    queue: OnceLock<Queue<C>>,
    /// The commit, until the writer starts with it.
    idle: Mutex<Option<C>>,
}

impl<C: Commit> std::fmt::Debug for GroupCommit<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("name", &self.name)
            .field("running", &self.queue.get().is_some())
            .finish_non_exhaustive()
    }
}

impl<C: Commit> GroupCommit<C> {
    /// Group commit for `commit`; its writer thread, named `name`, starts
    /// with the first operation.
    pub fn new(name: impl Into<String>, commit: C) -> Self {
        Self {
            name: name.into(),
            queue: OnceLock::new(),
            idle: Mutex::new(Some(commit)),
        }
    }

    /// Queues `op` for the next batch.
    pub fn enqueue(&self, op: C::Op) -> Ticket<C::Output, C::Error> {
        let answer = self.queue().and_then(|queue| {
            let (reply, answer) = oneshot::channel();
            queue
                .send(Request { op, reply })
                .map_err(|_| Error::Stopped)?;
            Ok(answer)
        });
        Ticket { answer }
    }

    /// Queues `op` and waits until it is durable; its output.
    pub async fn submit(&self, op: C::Op) -> Result<C::Output, Error<C::Error>> {
        self.enqueue(op).wait().await
    }

    /// [`GroupCommit::submit`] for a blocking thread. Panics when called
    /// from async code.
    pub fn submit_blocking(&self, op: C::Op) -> Result<C::Output, Error<C::Error>> {
        self.enqueue(op).wait_blocking()
    }

    /// The queue, starting the writer on first use.
    fn queue(&self) -> Result<&Queue<C>, Error<C::Error>> {
        if let Some(queue) = self.queue.get() {
            return Ok(queue);
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = self.queue.get() {
            // Started by another caller while we waited for the lock.
            return Ok(queue);
        }
        let queue = writer::start(&self.name, &mut idle)?;
        Ok(self.queue.get_or_init(|| queue))
    }
}
