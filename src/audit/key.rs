//! The audit trail's signing key: Ed25519, kept apart from the trail.
//!
//! The private key is PKCS#8 PEM (`openssl genpkey -algorithm ed25519`
//! writes one; so does Tenure, 0600 and atomically, when the configured key
//! file does not exist yet). The public key is SubjectPublicKeyInfo PEM
//! (`tenure audit pubkey`), which `tenure audit verify --pubkey` takes. A
//! key is named by its id: the first 16 hex digits of the SHA-256 of its 32
//! public key bytes.
//!
//! What is signed is a checkpoint: the domain tag, a sequence number and the
//! chain hash of that entry, so one signature covers every entry up to it.

use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::zeroize::Zeroizing;
use sha2::{Digest, Sha256};
use tenure_plugin_api::SecretSource;

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the
/// 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
/// What a checkpoint signature covers, before the sequence number and hash.
const DOMAIN: &str = "tenure-audit-checkpoint-v1";

/// Why a key could not be loaded, created or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key's source could not be read.
    #[error("audit signing key: {0}")]
    Source(#[from] tenure_plugin_api::SourceError),
    /// The key file could not be written.
    #[error("audit signing key {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not an Ed25519 PKCS#8 PEM private key.
    #[error("audit signing key ({source_name}): not an Ed25519 private key in PKCS#8 PEM")]
    BadPrivateKey {
        /// Where it came from.
        source_name: String,
    },
    /// Not an Ed25519 SubjectPublicKeyInfo PEM public key.
    #[error("{path}: not an Ed25519 public key in PEM (as `tenure audit pubkey` prints it)")]
    BadPublicKey {
        /// Where it came from.
        path: String,
    },
    /// The system's random source failed.
    #[error("audit signing key: the random source failed")]
    Random,
}

/// The private key that signs checkpoints. No `Debug` of the key itself.
pub struct AuditSigner {
    pair: Ed25519KeyPair,
    public: AuditPublicKey,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSigner")
            .field("key", &self.public.id())
            .finish_non_exhaustive()
    }
}

/// A public key that checks checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPublicKey {
    bytes: [u8; 32],
}

/// The message a checkpoint signature covers.
fn checkpoint_message(seq: u64, hash: &str) -> String {
    format!("{DOMAIN}\n{seq}\n{hash}")
}

impl AuditSigner {
    /// Reads the key from `source`. A `file` source that does not exist yet
    /// is created with a new key (0600, atomically; when two processes race,
    /// both use the one that landed).
    pub fn load_or_create(source: &SecretSource) -> Result<Self, KeyError> {
        if let SecretSource::File(path) = source
            && !path.exists()
        {
            create(path)?;
        }
        let pem = source.resolve()?;
        Self::from_pem(pem.expose(), &source.to_string())
    }

    /// Parses a PKCS#8 PEM private key; `source_name` names it in errors.
    pub fn from_pem(pem: &str, source_name: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadPrivateKey {
            source_name: source_name.to_owned(),
        };
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes()).map_err(|_| bad())?;
        let der = Zeroizing::new(der);
        if label != "PRIVATE KEY" {
            return Err(bad());
        }
        let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|_| bad())?;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(pair.public_key().as_ref());
        Ok(Self {
            pair,
            public: AuditPublicKey { bytes },
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &AuditPublicKey {
        &self.public
    }

    /// The checkpoint signature of entry `seq` with chain hash `hash`:
    /// `{"ed25519": <base64>, "key": <key id>}`.
    pub fn sign(&self, seq: u64, hash: &str) -> serde_json::Value {
        let signature = self.pair.sign(checkpoint_message(seq, hash).as_bytes());
        serde_json::json!({
            "ed25519": STANDARD.encode(signature.as_ref()),
            "key": self.public.id(),
        })
    }
}

impl AuditPublicKey {
    /// The key id: 16 hex digits of the SHA-256 of the key bytes.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.bytes)[..8])
    }

    /// SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.bytes);
        // 44 bytes of DER always encode.
        pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &der)
            .unwrap_or_default()
    }

    /// Reads a SubjectPublicKeyInfo PEM file.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_pem(&text, &path.display().to_string())
    }

    /// Parses SubjectPublicKeyInfo PEM; `origin` names it in errors.
    pub fn from_pem(text: &str, origin: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadPublicKey {
            path: origin.to_owned(),
        };
        let (label, der) = pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(|_| bad())?;
        let key = der.strip_prefix(&SPKI_PREFIX[..]).ok_or_else(bad)?;
        if label != "PUBLIC KEY" || key.len() != 32 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(key);
        Ok(Self { bytes })
    }

    /// Whether `signature` (base64) signs the checkpoint `seq`, `hash`.
    pub fn verifies(&self, seq: u64, hash: &str, signature: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, self.bytes)
            .verify(checkpoint_message(seq, hash).as_bytes(), &signature)
            .is_ok()
    }
}

/// Writes a new key to `path`: 0600, atomically, never over an existing one.
fn create(path: &Path) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let document =
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Random)?;
    let pem = Zeroizing::new(
        pem_rfc7468::encode_string(
            "PRIVATE KEY",
            pem_rfc7468::LineEnding::LF,
            document.as_ref(),
        )
        .map_err(|_| KeyError::Random)?,
    );
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    // NamedTempFile is created 0600.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(pem.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(io(e.error)),
    }
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io)?;
    tracing::info!(key = %path.display(), "Created the audit signing key.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_created_key_is_private_signs_and_its_public_key_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/audit.key");
        let source = SecretSource::File(path.clone());
        let signer = AuditSigner::load_or_create(&source).expect("created");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = AuditSigner::load_or_create(&source).expect("loaded");
        assert_eq!(
            signer.public_key(),
            again.public_key(),
            "loaded, not replaced"
        );

        let public = AuditPublicKey::from_pem(&signer.public_key().to_pem(), "pem").expect("pem");
        let sig = signer.sign(7, "abc");
        assert_eq!(sig["key"], public.id());
        let b64 = sig["ed25519"].as_str().expect("sig");
        assert!(public.verifies(7, "abc", b64));
        assert!(!public.verifies(8, "abc", b64));
        assert!(!public.verifies(7, "abd", b64));
        assert!(format!("{signer:?}").contains(&public.id()));
    }

    #[test]
    fn an_openssl_key_is_accepted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("openssl.key");
        let status = std::process::Command::new("openssl")
            .args(["genpkey", "-algorithm", "ed25519", "-out"])
            .arg(&path)
            .status()
            .expect("openssl");
        assert!(status.success());
        let signer = AuditSigner::load_or_create(&SecretSource::File(path.clone())).expect("key");
        let out = std::process::Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&path)
            .output()
            .expect("openssl pubout");
        let theirs = AuditPublicKey::from_pem(&String::from_utf8_lossy(&out.stdout), "openssl")
            .expect("openssl public key");
        assert_eq!(&theirs, signer.public_key());
        assert_eq!(
            signer.public_key().to_pem(),
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[test]
    fn other_pem_is_refused_without_echoing_it() {
        let err = AuditSigner::from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "env X",
        )
        .expect_err("not a private key");
        assert!(err.to_string().contains("env X"));
        assert!(!err.to_string().contains("AAAA"));
    }
}
