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

impl StoredVersion {
    /// A new enabled version holding `value`, with a fresh id, created now.
    pub(super) fn new(value: &str) -> Self {
        let t = now();
        Self {
            id: random_hex(16),
            value: value.to_owned(),
            content_type: None,
            enabled: true,
            exp: None,
            nbf: None,
            created: t,
            updated: t,
            tags: BTreeMap::new(),
        }
    }
}

impl State {
    /// Adds `version` to the secret `name`, created when missing; the
    /// secret as stored.
    pub(super) fn push_version(&mut self, name: &str, version: StoredVersion) -> &StoredSecret {
        let secret = self
            .secrets
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| StoredSecret {
                name: name.to_owned(),
                versions: Vec::new(),
                deleted: None,
            });
        secret.versions.push(version);
        secret
    }
}

impl StoredSecret {
    /// Where `version` is among the versions (compared without case), or
    /// the newest when `None`.
    pub(super) fn position(&self, version: Option<&str>) -> Option<usize> {
        match version {
            None => self.versions.len().checked_sub(1),
            Some(id) => self
                .versions
                .iter()
                .position(|v| v.id.eq_ignore_ascii_case(id)),
        }
    }
}

/// The secret named `name` (any case), when it is deleted or not as `deleted` says.
pub(super) fn stored<'a>(state: &'a State, name: &str, deleted: bool) -> Option<&'a StoredSecret> {
    let secret = state.secrets.get(&name.to_ascii_lowercase())?;
    (secret.deleted.is_some() == deleted).then_some(secret)
}

/// [`stored`], to change.
pub(super) fn stored_mut<'a>(
    state: &'a mut State,
    name: &str,
    deleted: bool,
) -> Option<&'a mut StoredSecret> {
    let secret = state.secrets.get_mut(&name.to_ascii_lowercase())?;
    (secret.deleted.is_some() == deleted).then_some(secret)
}

/// The secret named `name` (any case), unless deleted.
pub(super) fn live<'a>(state: &'a State, name: &str) -> Option<&'a StoredSecret> {
    stored(state, name, false)
}
