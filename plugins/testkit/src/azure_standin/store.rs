//! What the stand-in stores: secrets by lowercase name, each with its
//! versions oldest first, the tokens it issued, the throttle switch and the
//! counters.

use std::collections::{BTreeMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use super::Counters;

/// One version of a secret.
#[derive(Debug, Clone)]
pub(super) struct StoredVersion {
    pub(super) id: String,
    pub(super) value: String,
    pub(super) content_type: Option<String>,
    pub(super) enabled: bool,
    pub(super) exp: Option<i64>,
    pub(super) nbf: Option<i64>,
    pub(super) created: i64,
    pub(super) updated: i64,
    pub(super) tags: BTreeMap<String, String>,
}

/// A secret and its versions.
#[derive(Debug, Clone)]
pub(super) struct StoredSecret {
    /// The name as first written.
    pub(super) name: String,
    /// Oldest first.
    pub(super) versions: Vec<StoredVersion>,
    pub(super) deleted: Option<i64>,
}

/// Everything the stand-in holds.
#[derive(Debug, Default)]
pub(super) struct State {
    /// By lowercase name.
    pub(super) secrets: BTreeMap<String, StoredSecret>,
    pub(super) tokens: HashSet<String>,
    pub(super) throttle: Option<(usize, u64)>,
    pub(super) counters: Counters,
}

/// Unix seconds.
pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `bytes` random bytes in hex.
pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    tenure_plugin_api::random::fill(&mut buf).expect("random");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// 1 to 127 letters, digits and `-`.
pub(super) fn valid_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The secret named `name` (any case), unless deleted.
pub(super) fn live<'a>(state: &'a State, name: &str) -> Option<&'a StoredSecret> {
    state
        .secrets
        .get(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_none())
}
