//! The pure model of a Key Vault secret as Tenure sees it: which version is
//! current, previous and pending (read from creation times and Tenure's
//! bookkeeping tags), what each stage operation means for that state, what
//! the secret list says to inventory, and what each write puts on a new
//! version. No I/O; unit-tested without the stand-in.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

mod inventory;
mod plans;
mod state;
mod writes;

#[cfg(test)]
mod fixtures;

pub use inventory::{Inventory, Listed};
pub use plans::{Promotion, Retirement, StagingError, check_token};
pub use state::{SecretState, newest_live_pending};
pub use writes::{NewVersion, merged_tags};

/// Tags Tenure keeps for itself start with this; they are not shown as tags.
pub const OWN_TAG: &str = "tenure-";
/// On a promoted version: the version it replaced (the previous one).
pub const TAG_PREVIOUS: &str = "tenure-previous-version";
/// On a promoted version: when it was promoted (RFC 3339).
pub const TAG_ROTATED_AT: &str = "tenure-rotated-at";
/// On a promoted version: the staged version whose value it holds.
pub const TAG_PROMOTED_FROM: &str = "tenure-promoted-from";
/// On a staged and a promoted version: the rotation's token (run id).
pub const TAG_RUN: &str = "tenure-run";
/// On a staged version: [`PENDING`].
pub const TAG_STAGE: &str = "tenure-stage";
/// The value of [`TAG_STAGE`] on a staged version.
pub const PENDING: &str = "pending";
/// Key Vault's longest tag value (a staging token must fit in one).
pub const MAX_TAG_VALUE: usize = 256;

/// One version's properties (never its value).
#[derive(Debug, Clone)]
pub struct Version {
    /// The version id (the last segment of the Key Vault object id).
    pub id: String,
    /// When it was created (Key Vault keeps whole seconds).
    pub created: Option<DateTime<Utc>>,
    /// False once disabled; Key Vault refuses to serve a disabled version.
    pub enabled: bool,
    /// Its `exp` attribute.
    pub expires: Option<DateTime<Utc>>,
    /// Its `nbf` attribute.
    pub not_before: Option<DateTime<Utc>>,
    /// Its content type.
    pub content_type: Option<String>,
    /// Its tags, Tenure's bookkeeping included.
    pub tags: HashMap<String, String>,
}

impl Version {
    /// The value of the tag `key`, if set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }

    /// Whether this version (of a staging secret) is a live pending version.
    pub fn is_live_pending(&self) -> bool {
        self.enabled && self.tag(TAG_STAGE) == Some(PENDING)
    }

    /// The user's tags (Tenure's own left out).
    pub fn user_tags<T: FromIterator<(String, String)>>(&self) -> T {
        self.tags
            .iter()
            .filter(|(k, _)| !k.starts_with(OWN_TAG))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
