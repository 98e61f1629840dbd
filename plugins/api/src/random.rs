//! Random strings from the operating system's CSPRNG, for plugins that mint credentials.

use crate::SecretValue;

/// The OS random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

/// `A-Z a-z 0-9`.
pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Draws `length` characters uniformly from `chars` (1 to 256 distinct ASCII bytes).
pub fn random_string(length: usize, chars: &[u8]) -> Result<SecretValue, RandomError> {
    if chars.is_empty() || chars.len() > 256 {
        return Err(RandomError(
            "the alphabet must have 1 to 256 characters".into(),
        ));
    }
    // Rejection sampling: accept a byte only below the largest multiple of the
    // alphabet size, so every character is equally likely.
    let limit = 256 - (256 % chars.len());
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buf).map_err(|e| RandomError(e.to_string()))?;
        for &b in &buf {
            if usize::from(b) < limit && out.len() < length {
                out.push(char::from(chars[usize::from(b) % chars.len()]));
            }
        }
        buf.fill(0);
    }
    Ok(SecretValue::new(out))
}

/// Fills `buf` from the OS CSPRNG.
pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(|e| RandomError(e.to_string()))
}
