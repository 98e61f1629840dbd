//! Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body` with a
//! `whsec_` secret, carried in the `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` headers (<https://www.standardwebhooks.com/>).
//!
//! Verification compares in constant time and refuses a timestamp more than
//! [`TOLERANCE`] away from now, so a captured request cannot be replayed
//! later; replays inside the window are caught by the event store's ids.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
pub const TOLERANCE: std::time::Duration = std::time::Duration::from_secs(300);

/// Why a request's signature was refused. Every variant means 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is missing or not text.
    #[error("missing or unreadable header {0}")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer number of seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is outside the tolerance.
    #[error("webhook-timestamp is more than 5 minutes from now")]
    Stale,
    /// No `v1` signature in the header matches.
    #[error("no signature matches")]
    Mismatch,
}

/// Why a `whsec_` secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretFormatError {
    /// Not `whsec_` followed by base64 of at least 16 bytes.
    #[error("a webhook secret must be \"whsec_\" followed by base64 of 16 to 64 bytes")]
    Invalid,
}

/// The shared signing key. Its bytes never reach `Debug` output.
pub struct WebhookKey(SecretSlice<u8>);

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey([REDACTED])")
    }
}

/// The headers of one signed request.
#[derive(Debug, Clone, Copy)]
pub struct SignedHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

impl WebhookKey {
    /// Reads a `whsec_<base64>` secret.
    pub fn parse(secret: &str) -> Result<Self, SecretFormatError> {
        let encoded = secret
            .trim()
            .strip_prefix("whsec_")
            .ok_or(SecretFormatError::Invalid)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretFormatError::Invalid)?;
        if !(16..=64).contains(&bytes.len()) {
            return Err(SecretFormatError::Invalid);
        }
        Ok(Self(bytes.into()))
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value for a request (for senders and tests).
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let tag = self
            .mac(id, &timestamp.to_string(), body)
            .finalize()
            .into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Checks a request's signature and timestamp against `now` (Unix seconds).
    /// Returns the `webhook-id`.
    pub fn verify<'a>(
        &self,
        headers: SignedHeaders<'a>,
        body: &[u8],
        now: i64,
    ) -> Result<&'a str, SignatureError> {
        let id = headers
            .id
            .filter(|id| !id.is_empty())
            .ok_or(SignatureError::MissingHeader("webhook-id"))?;
        let timestamp = headers
            .timestamp
            .ok_or(SignatureError::MissingHeader("webhook-timestamp"))?;
        let signatures = headers
            .signature
            .ok_or(SignatureError::MissingHeader("webhook-signature"))?;
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let tolerance = i64::try_from(TOLERANCE.as_secs()).unwrap_or(i64::MAX);
        if now.abs_diff(seconds) > tolerance.unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        let expected = self.mac(id, timestamp.trim(), body);
        let matched = signatures.split_whitespace().any(|entry| {
            let Some(("v1", encoded)) = entry.split_once(',') else {
                return false;
            };
            let Ok(tag) = STANDARD.decode(encoded) else {
                return false;
            };
            // verify_slice compares in constant time.
            expected.clone().verify_slice(&tag).is_ok()
        });
        if matched {
            Ok(id)
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example from the Standard Webhooks specification's test vectors.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn matches_the_specification_vector() {
        let key = WebhookKey::parse(SECRET).expect("secret");
        assert_eq!(key.sign(ID, TS, BODY), SIGNATURE);
        let ts = TS.to_string();
        assert_eq!(
            key.verify(headers(ID, &ts, SIGNATURE), BODY, TS + 10),
            Ok(ID)
        );
        // Several signatures (key rotation): any one may match.
        let several = format!("v1,AAAA {SIGNATURE}");
        assert_eq!(key.verify(headers(ID, &ts, &several), BODY, TS), Ok(ID));
    }

    #[test]
    fn refuses_tampering_staleness_and_missing_headers() {
        let key = WebhookKey::parse(SECRET).expect("secret");
        let ts = TS.to_string();
        assert_eq!(
            key.verify(headers(ID, &ts, SIGNATURE), b"{}", TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            key.verify(headers("msg_other", &ts, SIGNATURE), BODY, TS),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            key.verify(headers(ID, &ts, SIGNATURE), BODY, TS + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            key.verify(headers(ID, &ts, SIGNATURE), BODY, TS - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            key.verify(headers(ID, "soon", SIGNATURE), BODY, TS),
            Err(SignatureError::BadTimestamp)
        );
        let missing = SignedHeaders {
            id: Some(ID),
            timestamp: Some("1"),
            signature: None,
        };
        assert_eq!(
            key.verify(missing, BODY, 1),
            Err(SignatureError::MissingHeader("webhook-signature"))
        );
        assert_eq!(
            key.verify(headers(ID, &ts, "v2,abc"), BODY, TS),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn secrets_must_be_whsec_base64_and_stay_out_of_debug() {
        assert!(WebhookKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(WebhookKey::parse("whsec_short").is_err());
        let key = WebhookKey::parse(SECRET).expect("secret");
        assert_eq!(format!("{key:?}"), "WebhookKey([REDACTED])");
    }
}
