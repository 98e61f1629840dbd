//! [`WalSync`]: group commit for the SQLite store.
//!
//! SQLite with `synchronous = FULL` fsyncs its write-ahead log inside every
//! commit, holding the write lock, so concurrent workflows queue behind one
//! another's fsyncs. The store instead commits with `synchronous = NORMAL`
//! (the commit is written to the WAL, not yet synced) and then calls
//! [`WalSync::sync`] before a write returns. The syncs are group-committed
//! ([`tenure_group_commit`]): one fsync of the WAL covers every commit
//! queued before it started, so many concurrent writers share one fsync,
//! and a failed fsync fails every writer it was to cover. A write is
//! acknowledged only once it is on disk, as with `FULL`.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
#[cfg(test)]
use std::sync::Arc;
#[cfg(test)]
use std::sync::atomic::{AtomicU64, Ordering};

use tenure_group_commit::{self as group_commit, Commit, GroupCommit};

use super::StateError;

/// Shares fsyncs of one database's WAL among concurrent committers.
#[derive(Debug)]
pub struct WalSync {
    syncs: GroupCommit<WalFsync>,
    /// Fsyncs made, to show that writers share them.
    #[cfg(test)]
    fsyncs: Arc<AtomicU64>,
}

/// The group commit of WAL syncs: an operation is "my commit is in the
/// WAL"; one fsync of the WAL covers every commit queued before it began.
struct WalFsync {
    wal: PathBuf,
    /// The WAL's inode at the last sync.
    inode: Option<u64>,
    #[cfg(test)]
    fsyncs: Arc<AtomicU64>,
}

impl Commit for WalFsync {
    type Op = ();
    type Staged = ();
    type Written = ();
    type Output = ();
    type Error = StateError;

    fn apply(&mut self, (): ()) -> Result<(), StateError> {
        Ok(())
    }

    fn write(&mut self) -> Result<(), StateError> {
        let inode = fsync_wal(&self.wal, self.inode)?;
        #[cfg(test)]
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.inode = inode.or(self.inode);
        Ok(())
    }

    fn output((): (), (): &()) {}

    fn share(&self, err: &StateError) -> StateError {
        StateError::Database(match err {
            StateError::Database(message) => message.clone(),
            other => other.to_string(),
        })
    }
}

impl WalSync {
    /// Group commit for the database at `database` (its WAL is `<database>-wal`).
    pub fn new(database: &std::path::Path) -> Self {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        #[cfg(test)]
        let fsyncs = Arc::new(AtomicU64::new(0));
        let fsync = WalFsync {
            wal: PathBuf::from(wal),
            inode: None,
            #[cfg(test)]
            fsyncs: Arc::clone(&fsyncs),
        };
        Self {
            syncs: GroupCommit::new("tenure-wal-sync", fsync),
            #[cfg(test)]
            fsyncs,
        }
    }

    /// Returns once every commit finished before this call is on disk.
    pub async fn sync(&self) -> Result<(), StateError> {
        self.syncs.submit(()).await.map_err(|err| match err {
            group_commit::Error::Failed(err) => err,
            other => StateError::Database(format!("WAL sync task: {other}")),
        })
    }

    /// How many fsyncs were made.
    #[cfg(test)]
    pub fn fsyncs(&self) -> u64 {
        self.fsyncs.load(Ordering::Relaxed)
    }
}

/// Fsyncs the WAL; a WAL that is new since the last sync (SQLite removes it
/// when the last connection closes, after checkpointing it into the
/// database) also gets its directory entry synced. No WAL means everything
/// was checkpointed and synced by SQLite itself.
fn fsync_wal(wal: &std::path::Path, known: Option<u64>) -> Result<Option<u64>, StateError> {
    let failed = |e: std::io::Error| StateError::Database(format!("sync {}: {e}", wal.display()));
    let file = match std::fs::File::open(wal) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    file.sync_data().map_err(failed)?;
    let inode = file.metadata().map_err(failed)?.ino();
    if known != Some(inode)
        && let Some(dir) = wal.parent()
    {
        let dir = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(failed)?;
    }
    Ok(Some(inode))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_fsyncs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("state.db");
        std::fs::write(dir.path().join("state.db-wal"), b"frames").expect("wal");
        let sync = Arc::new(WalSync::new(&database));
        let writers: Vec<_> = (0..64)
            .map(|_| {
                let sync = Arc::clone(&sync);
                tokio::spawn(async move { sync.sync().await })
            })
            .collect();
        for writer in writers {
            writer.await.expect("join").expect("sync");
        }
        assert!(sync.fsyncs() >= 1);
        assert!(
            sync.fsyncs() < 64,
            "64 concurrent writers made {} fsyncs",
            sync.fsyncs()
        );
        // One writer alone always gets its own fsync.
        let before = sync.fsyncs();
        sync.sync().await.expect("sync");
        assert_eq!(sync.fsyncs(), before + 1);
    }

    #[tokio::test]
    async fn no_wal_means_nothing_to_sync() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sync = WalSync::new(&dir.path().join("absent.db"));
        sync.sync().await.expect("sync");
    }
}
