//! [`WalSync`]: group commit for the SQLite store.
//!
//! SQLite with `synchronous = FULL` fsyncs its write-ahead log inside every
//! commit, holding the write lock, so concurrent workflows queue behind one
//! another's fsyncs. The store instead commits with `synchronous = NORMAL`
//! (the commit is written to the WAL, not yet synced) and then calls
//! [`WalSync::sync`] before a write returns: one fsync of the WAL covers
//! every commit that finished before it started, so many concurrent writers
//! share one fsync. A write is acknowledged only once it is on disk, as with
//! `FULL`.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::StateError;

/// Shares fsyncs of one database's WAL among concurrent committers.
#[derive(Debug)]
pub struct WalSync {
    wal: PathBuf,
    /// Tickets taken by writers after their commit.
    requested: AtomicU64,
    /// The last ticket covered by a finished fsync, and the WAL's inode then.
    synced: Mutex<Synced>,
    /// Fsyncs made, to show that writers share them.
    #[cfg(test)]
    fsyncs: AtomicU64,
}

#[derive(Debug, Default)]
struct Synced {
    upto: u64,
    inode: Option<u64>,
}

impl WalSync {
    /// Group commit for the database at `database` (its WAL is `<database>-wal`).
    pub fn new(database: &std::path::Path) -> Self {
        let mut wal = database.as_os_str().to_owned();
        wal.push("-wal");
        Self {
            wal: PathBuf::from(wal),
            requested: AtomicU64::new(0),
            synced: Mutex::new(Synced::default()),
            #[cfg(test)]
            fsyncs: AtomicU64::new(0),
        }
    }

    /// Returns once every commit finished before this call is on disk.
    pub async fn sync(&self) -> Result<(), StateError> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let mut synced = self.synced.lock().await;
        if synced.upto >= ticket {
            // An fsync that started after our commit has finished.
            return Ok(());
        }
        // Everyone holding a ticket so far committed before this point.
        let upto = self.requested.load(Ordering::SeqCst);
        let wal = self.wal.clone();
        let known = synced.inode;
        let inode = tokio::task::spawn_blocking(move || fsync_wal(&wal, known))
            .await
            .map_err(|e| StateError::Database(format!("WAL sync task: {e}")))??;
        #[cfg(test)]
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        synced.upto = upto;
        synced.inode = inode.or(known);
        Ok(())
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
