//! Group commit for the vault file ([`tenure_group_commit`]). Every change
//! is a read-modify-write of the whole encrypted file; changes that arrive
//! while one is being written queue up, and the writer applies all of them,
//! in arrival order, to one copy of the document read under the lock, and
//! writes it once. Each caller returns only after the write that holds its
//! change is on disk. A change that fails leaves the document as it was
//! before it, and the others still apply; a failed lock, read or write fails
//! every change of the batch.

use std::any::Any;
use std::fs::File;
use std::sync::Arc;

use tenure_group_commit::Commit;

use crate::error::LocalError;
use crate::file::Disk;
use crate::model::Document;

/// One queued change; its value is handed back to its caller.
pub type Change = Box<dyn FnOnce(&mut Document) -> Result<Box<dyn Any + Send>, LocalError> + Send>;

/// Applies batches of changes to the vault file.
pub struct Changes {
    disk: Arc<Disk>,
    /// The batch being applied, between `begin` and `end`.
    open: Option<Open>,
}

/// A batch in progress: the lock it holds and the document it changes.
struct Open {
    lock: File,
    doc: Document,
    /// A lone change needs no snapshot: when it fails, nothing is written.
    alone: bool,
}

impl Changes {
    /// Changes to the file of `disk`.
    pub fn new(disk: Arc<Disk>) -> Self {
        Self { disk, open: None }
    }
}

impl Commit for Changes {
    type Op = Change;
    type Staged = Box<dyn Any + Send>;
    type Written = ();
    type Output = Box<dyn Any + Send>;
    type Error = LocalError;

    fn begin(&mut self, len: usize) -> Result<(), LocalError> {
        let lock = self.disk.lock()?;
        // On error the lock is closed, which releases it.
        let doc = self
            .disk
            .read()?
            .map(|doc| Document::clone(&doc))
            .unwrap_or_default();
        self.open = Some(Open {
            lock,
            doc,
            alone: len == 1,
        });
        Ok(())
    }

    fn apply(&mut self, change: Change) -> Result<Box<dyn Any + Send>, LocalError> {
        let open = self.open.as_mut().ok_or(LocalError::Task)?;
        let before = (!open.alone).then(|| open.doc.clone());
        let result = change(&mut open.doc);
        if result.is_err()
            && let Some(before) = before
        {
            open.doc = before;
        }
        result
    }

    fn write(&mut self) -> Result<(), LocalError> {
        let open = self.open.as_mut().ok_or(LocalError::Task)?;
        let bytes = self.disk.write(&open.doc)?;
        self.disk.remember(std::mem::take(&mut open.doc), &bytes);
        Ok(())
    }

    fn output(value: Box<dyn Any + Send>, (): &()) -> Box<dyn Any + Send> {
        value
    }

    fn end(&mut self) {
        if let Some(open) = self.open.take() {
            let _ = open.lock.unlock();
        }
    }

    fn share(&self, err: &LocalError) -> LocalError {
        err.duplicate()
    }
}

#[cfg(test)]
mod tests {
    use tenure_plugin_api::Stage;

    use super::*;
    use crate::file::VaultFile;
    use crate::file::tests::put;

    #[test]
    fn concurrent_changes_share_writes_and_a_failing_one_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vault.enc");
        let file = Arc::new(VaultFile::new(path.clone(), &[9u8; 32]));
        put(&file, "base", "0");
        let start = Arc::new(std::sync::Barrier::new(32));
        let threads: Vec<_> = (0..32)
            .map(|i| {
                let (file, start) = (Arc::clone(&file), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    if i == 7 {
                        // Changes the document, then fails: none of it may stay.
                        let failed = file.update(|doc| {
                            doc.put_text("poison", "x");
                            Err::<(), _>(LocalError::Task)
                        });
                        assert!(failed.is_err());
                    } else {
                        put(&file, &format!("s{i}"), &i.to_string());
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("join");
        }
        let writes = file.writes();
        assert!(writes < 32, "32 changes made {writes} writes");
        // Read back from disk, not from the cache.
        let fresh = VaultFile::new(path, &[9u8; 32]);
        let doc = fresh.read().expect("read").expect("doc");
        assert!(doc.read("poison", Stage::Current).is_err());
        for i in (0..32).filter(|i| *i != 7) {
            assert_eq!(doc.text(&format!("s{i}"), Stage::Current), i.to_string());
        }
        assert_eq!(doc.text("base", Stage::Current), "0");
    }

    #[test]
    fn each_change_gets_its_own_value_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = Arc::new(VaultFile::new(dir.path().join("vault.enc"), &[3u8; 32]));
        let threads: Vec<_> = (0..16u32)
            .map(|i| {
                let file = Arc::clone(&file);
                std::thread::spawn(move || {
                    let got = file
                        .update(move |doc| {
                            doc.put_text(&format!("k{i}"), &i.to_string());
                            Ok(i * 10)
                        })
                        .expect("update");
                    assert_eq!(got, i * 10);
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("join");
        }
    }
}
