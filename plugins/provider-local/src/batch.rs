//! Group commit for the vault file. Every change is a read-modify-write of
//! the whole encrypted file; changes that arrive while one is being written
//! queue up, and the next writer applies all of them, in arrival order, to
//! one copy of the document and writes it once. Each caller returns only
//! after the write that holds its change is on disk. A change that fails
//! leaves the document as it was before it, and the others still apply.

use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};

use crate::error::LocalError;
use crate::model::Document;

/// Tells a caller how the write that held its change ended.
type Done = Box<dyn FnOnce(Option<&LocalError>) + Send>;

/// Applies a change; `None` when it failed (and told its caller).
type Apply = Box<dyn FnOnce(&mut Document) -> Option<Done> + Send>;

/// One queued change.
pub struct Change {
    apply: Apply,
    /// Tells the caller the batch failed before its change was applied.
    abandon: Box<dyn FnOnce(&LocalError) + Send>,
}

impl Change {
    /// A change and the receiver its caller waits on.
    pub fn new<T: Send + 'static>(
        change: impl FnOnce(&mut Document) -> Result<T, LocalError> + Send + 'static,
    ) -> (Self, std::sync::mpsc::Receiver<Result<T, LocalError>>) {
        let (tx, rx) = sync_channel(1);
        let failed: SyncSender<Result<T, LocalError>> = tx.clone();
        let apply = Box::new(move |doc: &mut Document| match change(doc) {
            Ok(value) => Some(Box::new(move |written: Option<&LocalError>| {
                let _ = tx.send(match written {
                    None => Ok(value),
                    Some(err) => Err(err.duplicate()),
                });
            }) as Done),
            Err(err) => {
                let _ = tx.send(Err(err));
                None
            }
        });
        let abandon = Box::new(move |err: &LocalError| {
            let _ = failed.send(Err(err.duplicate()));
        });
        (Self { apply, abandon }, rx)
    }
}

/// The queue, and the turn to write.
#[derive(Default)]
pub struct Batcher {
    queue: Mutex<Vec<Change>>,
    writer: Mutex<()>,
}

impl Batcher {
    /// Queues `change` and, unless an earlier writer already took it, writes
    /// everything queued with `commit`.
    pub fn submit(&self, change: Change, commit: impl FnOnce(Vec<Change>)) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(change);
        let _turn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        // Whoever held the turn before took everything queued until then,
        // ours included if it is gone: its caller was answered already.
        let queued =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if !queued.is_empty() {
            commit(queued);
        }
    }
}

/// Applies `changes` to `doc` in order; returns how each caller is told the
/// outcome of the write, and whether anything changed.
pub fn apply_all(doc: &mut Document, changes: Vec<Change>) -> Vec<Done> {
    let alone = changes.len() == 1;
    let mut done = Vec::with_capacity(changes.len());
    for change in changes {
        // A lone change that fails leaves nothing to write: no snapshot needed.
        let before = (!alone).then(|| doc.clone());
        match (change.apply)(doc) {
            Some(told) => done.push(told),
            None => {
                if let Some(before) = before {
                    *doc = before;
                }
            }
        }
    }
    done
}

/// Tells every caller of `changes` that the batch failed before applying them.
pub fn abandon_all(changes: Vec<Change>, err: &LocalError) {
    for change in changes {
        (change.abandon)(err);
    }
}
