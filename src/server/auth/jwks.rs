//! The identity provider's signing keys (a JWK Set): read from a file at
//! start, or fetched from a URL on first use, cached, and fetched again
//! when a token names a key the cache lacks (at most once per
//! [`MIN_REFETCH`]) or the cache is older than [`MAX_AGE`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use tracing::{info, warn};

/// The least time between two fetches caused by unknown key ids.
pub const MIN_REFETCH: Duration = Duration::from_secs(10);
/// Keys older than this are fetched again before use (a key the provider
/// withdrew stops working within this).
pub const MAX_AGE: Duration = Duration::from_secs(3600);
/// How long one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWK Set accepted.
const MAX_BYTES: usize = 256 << 10;

/// Why no key could be found for a token.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The set has no key with the token's `kid`.
    #[error("no signing key {0:?} in the identity provider's key set")]
    UnknownKid(String),
    /// The token names no `kid` and the set has more than one key.
    #[error("the token names no key id (kid) and the key set has several keys")]
    NoKid,
    /// The keys could not be fetched.
    #[error("the identity provider's keys are unavailable: {0}")]
    Unavailable(String),
}

#[derive(Default)]
struct Cache {
    set: Option<Arc<JwkSet>>,
    fetched: Option<Instant>,
    tried: Option<Instant>,
}

/// The key set and where it comes from.
pub struct Jwks {
    url: Option<String>,
    cache: Mutex<Cache>,
    /// One fetch at a time; the others wait for its result.
    fetching: tokio::sync::Mutex<()>,
    client: reqwest::Client,
}

impl Jwks {
    /// A set read once (from a file).
    pub fn fixed(set: JwkSet) -> Self {
        Self::with(None, Some(Arc::new(set)))
    }

    /// A set fetched from `url` on first use.
    pub fn remote(url: String) -> Self {
        Self::with(Some(url), None)
    }

    fn with(url: Option<String>, set: Option<Arc<JwkSet>>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            url,
            cache: Mutex::new(Cache {
                set,
                ..Cache::default()
            }),
            fetching: tokio::sync::Mutex::new(()),
            client,
        }
    }

    /// The key a token with `kid` is checked with.
    pub async fn key(&self, kid: Option<&str>) -> Result<Jwk, KeyError> {
        let (set, fresh) = self.cached();
        let found = set.as_deref().map(|set| find(set, kid));
        match (&self.url, found) {
            (None, Some(found)) => found,
            (None, None) => Err(KeyError::Unavailable("no key set".to_owned())),
            (Some(_), Some(Ok(key))) if fresh => Ok(key),
            (Some(url), found) => {
                let stale = found.as_ref().is_some_and(Result::is_ok);
                match self.refetch(url, stale).await {
                    Ok(set) => find(&set, kid),
                    // Keys that worked an hour ago beat none while the IdP is down.
                    Err(_) if stale => found.unwrap_or(Err(KeyError::NoKid)),
                    Err(err) => Err(err),
                }
            }
        }
    }

    fn cached(&self) -> (Option<Arc<JwkSet>>, bool) {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = cache.fetched.is_some_and(|at| at.elapsed() < MAX_AGE);
        (cache.set.clone(), fresh)
    }

    /// Fetches the set again, unless another fetch was tried within
    /// [`MIN_REFETCH`] (`due` skips that wait: the cache has aged out).
    async fn refetch(&self, url: &str, due: bool) -> Result<Arc<JwkSet>, KeyError> {
        let _one = self.fetching.lock().await;
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let recent = cache.tried.is_some_and(|at| at.elapsed() < MIN_REFETCH);
            if recent && !due {
                return cache.set.clone().ok_or_else(|| {
                    KeyError::Unavailable("the last fetch failed; retrying shortly".to_owned())
                });
            }
        }
        let now = Instant::now();
        let result = self.fetch(url).await;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.tried = Some(now);
        match result {
            Ok(set) => {
                info!(
                    keys = set.keys.len(),
                    "Fetched the identity provider's signing keys."
                );
                let set = Arc::new(set);
                cache.set = Some(Arc::clone(&set));
                cache.fetched = Some(now);
                Ok(set)
            }
            Err(err) => {
                warn!(error = %err, "Could not fetch the identity provider's signing keys.");
                Err(KeyError::Unavailable(err))
            }
        }
    }

    async fn fetch(&self, url: &str) -> Result<JwkSet, String> {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("the key set URL answered {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BYTES as u64)
        {
            return Err(format!("the key set is over {MAX_BYTES} bytes"));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("{}", e.without_url()))?;
        if body.len() > MAX_BYTES {
            return Err(format!("the key set is over {MAX_BYTES} bytes"));
        }
        parse(&body)
    }
}

/// A JWK Set from its JSON.
pub fn parse(bytes: &[u8]) -> Result<JwkSet, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not a JWK Set: {e}"))
}

fn find(set: &JwkSet, kid: Option<&str>) -> Result<Jwk, KeyError> {
    match kid {
        Some(kid) => set
            .find(kid)
            .cloned()
            .ok_or_else(|| KeyError::UnknownKid(kid.to_owned())),
        None => match set.keys.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(KeyError::NoKid),
        },
    }
}
