//! SCRAM-SHA-256 verifiers (RFC 5802 / 7677), computed locally so the
//! server is never sent a clear-text password.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const ITERATIONS: u32 = 4096;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The verifier PostgreSQL stores for `password` with `salt`:
/// `SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`.
pub fn verifier(password: &str, salt: &[u8; 16]) -> String {
    let mut salted = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, ITERATIONS, salted.as_mut_slice());
    let client_key = Zeroizing::new(hmac(salted.as_slice(), b"Client Key"));
    let stored_key = Sha256::digest(client_key.as_slice());
    let server_key = hmac(salted.as_slice(), b"Server Key");
    format!(
        "SCRAM-SHA-256${ITERATIONS}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_postgres_verifier_shape() {
        // The real proof is the login tests against a scram-sha-256 server.
        let salt = [
            0x5a, 0x6f, 0x3c, 0x10, 0x9e, 0x01, 0x77, 0x42, 0x18, 0xab, 0xcd, 0xef, 0x00, 0x11,
            0x22, 0x33,
        ];
        let v = verifier("pencil", &salt);
        assert!(
            v.starts_with("SCRAM-SHA-256$4096:Wm88EJ4Bd0IYq83vABEiMw==$"),
            "{v}"
        );
        assert_eq!(v.split(['$', ':']).count(), 5);
    }
}
