//! The vault file: keys, encryption, locking and atomic writes.
//!
//! Layout: `TNRVLT1\n` (magic) + 24-byte random nonce + XChaCha20-Poly1305
//! ciphertext of the JSON document, with the magic as associated data.
//!
//! The decrypted document is kept in memory with the nonce and length of
//! the file it came from. Every write draws a fresh random nonce, so a file
//! written by anyone else (another process, or a restore) is recognised
//! from its first 32 bytes and read again; an unchanged file is neither
//! decrypted nor parsed again, for reads and for read-modify-writes.

use std::any::Any;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use tenure_group_commit::{self as group_commit, GroupCommit};
use tenure_plugin_api::SecretSource;
use zeroize::Zeroizing;

use crate::batch::{Change, Changes};
use crate::error::LocalError;
use crate::model::Document;

const MAGIC: &[u8] = b"TNRVLT1\n";
const NONCE_LEN: usize = 24;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LocalError + '_ {
    move |source| LocalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `bytes` to `path` atomically: a 0600 temp file in the same folder,
/// fsync, rename, fsync of the folder. With `replace` false an existing file wins.
fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> Result<bool, LocalError> {
    let dir = parent(path);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    let written = if replace {
        tmp.persist(path).map_err(|e| LocalError::Io {
            path: path.to_path_buf(),
            source: e.error,
        })?;
        true
    } else {
        match tmp.persist_noclobber(path) {
            Ok(_) => true,
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => false,
            Err(e) => {
                return Err(LocalError::Io {
                    path: path.to_path_buf(),
                    source: e.error,
                });
            }
        }
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(written)
}

fn parse_key(hex_text: &str, location: &str) -> Result<Zeroizing<[u8; 32]>, LocalError> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(hex_text.trim(), key.as_mut_slice()).map_err(|_| LocalError::Key {
        location: location.to_owned(),
        reason: "expected 64 hexadecimal characters".into(),
    })?;
    Ok(key)
}

/// Loads the key, creating a key file with a fresh random key if it is missing.
pub fn load_key(source: &SecretSource) -> Result<Zeroizing<[u8; 32]>, LocalError> {
    let location = source.to_string();
    if let SecretSource::File(path) = source
        && !path.exists()
    {
        let mut key = Zeroizing::new([0u8; 32]);
        tenure_plugin_api::random::fill(key.as_mut_slice()).map_err(|e| LocalError::Key {
            location: location.clone(),
            reason: e.to_string(),
        })?;
        let mut text = Zeroizing::new(hex::encode(key.as_slice()));
        text.push('\n');
        // Two processes starting at once: the first file written wins.
        write_atomic(path, text.as_bytes(), false)?;
        tracing::info!(path = %path.display(), "Created a new vault key file.");
    }
    let value = source.resolve().map_err(|e| LocalError::Key {
        location: location.clone(),
        reason: e.to_string(),
    })?;
    parse_key(value.expose(), &location)
}

/// What identifies one version of the vault file: its random nonce, fresh
/// for every write, and its length. (File times and inode numbers are not
/// enough: times are coarse, and a rename can bring back a freed inode.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    nonce: [u8; NONCE_LEN],
    len: u64,
}

impl Stamp {
    /// The stamp of a file's bytes (`None` when too short to be a vault).
    fn of(bytes: &[u8], len: u64) -> Option<Self> {
        let nonce = bytes
            .strip_prefix(MAGIC)?
            .get(..NONCE_LEN)?
            .try_into()
            .ok()?;
        Some(Self { nonce, len })
    }
}

/// One vault file and its key; changes are group-committed (see `batch`).
pub struct VaultFile {
    disk: Arc<Disk>,
    changes: GroupCommit<Changes>,
}

impl VaultFile {
    /// The vault at `path`, encrypted with `key`.
    pub fn new(path: PathBuf, key: &[u8; 32]) -> Self {
        let disk = Arc::new(Disk::new(path, key));
        Self {
            changes: GroupCommit::new("tenure-vault", Changes::new(Arc::clone(&disk))),
            disk,
        }
    }

    /// The vault file's path.
    pub fn path(&self) -> &Path {
        &self.disk.path
    }

    /// Whether the vault file exists.
    pub fn exists(&self) -> bool {
        self.disk.path.exists()
    }

    /// The document; `None` when the file does not exist.
    pub fn read(&self) -> Result<Option<Arc<Document>>, LocalError> {
        self.disk.read()
    }

    /// Read-modify-write under the lock, shared with the changes queued
    /// meanwhile (see `batch`). Nothing of `change` is written when it fails.
    /// Blocks until the write is on disk: call it from a blocking thread.
    pub fn update<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Document) -> Result<T, LocalError> + Send + 'static,
    ) -> Result<T, LocalError> {
        let change: Change = Box::new(move |doc: &mut Document| {
            change(doc).map(|value| Box::new(value) as Box<dyn Any + Send>)
        });
        let value = self
            .changes
            .submit_blocking(change)
            .map_err(|err| match err {
                group_commit::Error::Failed(err) => err,
                group_commit::Error::Stopped | group_commit::Error::Spawn(_) => LocalError::Task,
            })?;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| LocalError::Task)
    }

    /// Creates the vault file with `init`'s content if it does not exist yet;
    /// true when this call created it.
    pub fn create_if_missing(
        &self,
        init: impl FnOnce(&mut Document) -> Result<(), LocalError>,
    ) -> Result<bool, LocalError> {
        self.disk.create_if_missing(init)
    }

    /// How many times the file was written.
    #[cfg(test)]
    pub fn writes(&self) -> u64 {
        self.disk.writes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The vault file on disk: its key, the cached document, locking, and
/// encrypted atomic writes.
pub struct Disk {
    path: PathBuf,
    lock: PathBuf,
    cipher: XChaCha20Poly1305,
    /// The last document read or written, and the file it is.
    cached: Mutex<Option<(Stamp, Arc<Document>)>>,
    /// Writes made, to show that concurrent changes share them.
    #[cfg(test)]
    writes: std::sync::atomic::AtomicU64,
}

impl Disk {
    fn new(path: PathBuf, key: &[u8; 32]) -> Self {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        Self {
            lock: PathBuf::from(lock),
            cipher: XChaCha20Poly1305::new(key.into()),
            path,
            cached: Mutex::new(None),
            #[cfg(test)]
            writes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Option<(Stamp, Arc<Document>)>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The document; `None` when the file does not exist. Decrypted only
    /// when the file is not the one last read or written.
    pub(crate) fn read(&self) -> Result<Option<Arc<Document>>, LocalError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(LocalError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        // The header names the version; the rest is read only when new.
        let len = file.metadata().map_err(io(&self.path))?.len();
        let mut bytes = vec![0u8; (MAGIC.len() + NONCE_LEN).min(len as usize)];
        file.read_exact(&mut bytes).map_err(io(&self.path))?;
        let stamp = Stamp::of(&bytes, len);
        if let (Some(stamp), Some((cached, doc))) = (stamp, self.cache().as_ref())
            && *cached == stamp
        {
            return Ok(Some(Arc::clone(doc)));
        }
        file.read_to_end(&mut bytes).map_err(io(&self.path))?;
        let doc = Arc::new(self.decrypt(&bytes)?);
        if let Some(stamp) = stamp {
            *self.cache() = Some((stamp, Arc::clone(&doc)));
        }
        Ok(Some(doc))
    }

    fn decrypt(&self, bytes: &[u8]) -> Result<Document, LocalError> {
        let format = |reason: &str| LocalError::Format {
            path: self.path.clone(),
            reason: reason.to_owned(),
        };
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| format("bad magic"))?;
        if body.len() < NONCE_LEN {
            return Err(format("truncated"));
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: MAGIC,
                    },
                )
                .map_err(|_| LocalError::Decrypt {
                    path: self.path.clone(),
                })?,
        );
        serde_json::from_slice(&plaintext)
            .map_err(|e| format(&format!("bad document: {}", e.classify() as u8)))
    }

    /// Encrypts and writes the document atomically; returns the bytes written.
    pub(crate) fn write(&self, doc: &Document) -> Result<Vec<u8>, LocalError> {
        let plaintext =
            Zeroizing::new(serde_json::to_vec(doc).map_err(|_| LocalError::Format {
                path: self.path.clone(),
                reason: "cannot serialize".into(),
            })?);
        let mut nonce = [0u8; NONCE_LEN];
        tenure_plugin_api::random::fill(&mut nonce).map_err(|e| LocalError::Key {
            location: "nonce".into(),
            reason: e.to_string(),
        })?;
        let ciphertext = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: MAGIC,
                },
            )
            .map_err(|_| LocalError::Format {
                path: self.path.clone(),
                reason: "encryption failed".into(),
            })?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + ciphertext.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        write_atomic(&self.path, &out, true)?;
        #[cfg(test)]
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    /// Remembers `doc` as the content of the file just written as `bytes`.
    pub(crate) fn remember(&self, doc: Document, bytes: &[u8]) {
        *self.cache() = Stamp::of(bytes, bytes.len() as u64).map(|stamp| (stamp, Arc::new(doc)));
    }

    /// Takes the vault's exclusive lock (until the file is unlocked or closed).
    pub(crate) fn lock(&self) -> Result<File, LocalError> {
        std::fs::create_dir_all(parent(&self.path)).map_err(io(parent(&self.path)))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&self.lock)
            .map_err(io(&self.lock))?;
        lock.lock().map_err(io(&self.lock))?;
        Ok(lock)
    }

    /// Runs `f` holding the vault's exclusive lock.
    fn locked<T>(&self, f: impl FnOnce() -> Result<T, LocalError>) -> Result<T, LocalError> {
        let lock = self.lock()?;
        let result = f();
        let _ = lock.unlock();
        result
    }

    /// See [`VaultFile::create_if_missing`].
    fn create_if_missing(
        &self,
        init: impl FnOnce(&mut Document) -> Result<(), LocalError>,
    ) -> Result<bool, LocalError> {
        self.locked(|| {
            if self.path.exists() {
                return Ok(false);
            }
            let mut doc = Document::default();
            init(&mut doc)?;
            let bytes = self.write(&doc)?;
            self.remember(doc, &bytes);
            Ok(true)
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
