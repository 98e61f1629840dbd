//! What each stage operation means for a secret's state: whether a
//! version may be staged, what promoting or retiring a version takes.

use super::{MAX_TAG_VALUE, SecretState, TAG_PROMOTED_FROM, TAG_RUN, Version};

/// Why a version cannot be staged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StagingError {
    /// The token does not fit in one tag value.
    #[error("a staging token must be 1 to 256 characters")]
    BadToken,
    /// Another rotation's pending version is live.
    #[error("already has a pending version from rotation {run}")]
    OtherRun {
        /// The other rotation's token, or `(unknown)`.
        run: String,
    },
}

/// Checks that a staging token fits in one tag value.
pub fn check_token(token: &str) -> Result<(), StagingError> {
    if token.is_empty() || token.len() > MAX_TAG_VALUE {
        return Err(StagingError::BadToken);
    }
    Ok(())
}

/// What promoting a version means for the current state.
#[derive(Debug)]
pub enum Promotion<'a> {
    /// The version is current already: nothing to do.
    AlreadyCurrent,
    /// The current version was promoted from this staged version (perhaps
    /// before a crash): only disable the staged version.
    FinishCleanup,
    /// Write the staged version's value as the new current version.
    Staged(&'a Version),
    /// Write an older version's value as the new current version.
    Older(&'a Version),
    /// No such version.
    Unknown,
}

/// What retiring a version means for the current state.
#[derive(Debug, PartialEq, Eq)]
pub enum Retirement<'a> {
    /// The version is current and cannot be retired.
    RefuseCurrent,
    /// Disable this version of the secret.
    Disable(&'a str),
    /// Disable this staged version.
    DisableStaged(&'a str),
    /// Retired already, or unknown: nothing to do.
    Nothing,
}

impl SecretState {
    /// The live staged version of the rotation `token`, `None` when nothing
    /// is staged, and an error when another rotation's version is.
    pub fn staged_by(&self, token: &str) -> Result<Option<&Version>, StagingError> {
        let Some(pending) = self.pending() else {
            return Ok(None);
        };
        match pending.tag(TAG_RUN) {
            Some(run) if run == token => Ok(Some(pending)),
            other => Err(StagingError::OtherRun {
                run: other.unwrap_or("(unknown)").to_owned(),
            }),
        }
    }

    /// What promoting the version `id` means.
    pub fn promotion(&self, id: &str) -> Promotion<'_> {
        let current = self.current();
        if current.is_some_and(|v| v.id == id) {
            return Promotion::AlreadyCurrent;
        }
        if current.and_then(|v| v.tag(TAG_PROMOTED_FROM)) == Some(id) {
            return Promotion::FinishCleanup;
        }
        if let Some(pending) = self.pending().filter(|p| p.id == id) {
            return Promotion::Staged(pending);
        }
        match self.find(id) {
            Some(older) => Promotion::Older(older),
            None => Promotion::Unknown,
        }
    }

    /// What retiring the version `id` means.
    pub fn retirement(&self, id: &str) -> Retirement<'_> {
        if self.current().is_some_and(|v| v.id == id) {
            return Retirement::RefuseCurrent;
        }
        if let Some(found) = self.find(id) {
            return if found.enabled {
                Retirement::Disable(&found.id)
            } else {
                Retirement::Nothing
            };
        }
        match self.pending().filter(|p| p.id == id) {
            Some(pending) => Retirement::DisableStaged(&pending.id),
            None => Retirement::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{staged, version};

    #[test]
    fn staging_is_idempotent_by_token() {
        assert_eq!(check_token(""), Err(StagingError::BadToken));
        assert_eq!(check_token(&"t".repeat(257)), Err(StagingError::BadToken));
        assert!(check_token(&"t".repeat(256)).is_ok());
        let empty = SecretState::new(vec![version("a", 1, None)], None);
        assert!(matches!(empty.staged_by("run-1"), Ok(None)));
        let state = SecretState::new(vec![version("a", 1, None)], Some(staged("s", 2, "run-1")));
        assert_eq!(
            state
                .staged_by("run-1")
                .ok()
                .flatten()
                .map(|v| v.id.as_str()),
            Some("s")
        );
        let err = state.staged_by("run-2").expect_err("other run");
        assert_eq!(
            err.to_string(),
            "already has a pending version from rotation run-1"
        );
    }

    #[test]
    fn promotion_follows_the_state() {
        let mut current = version("b", 10, Some("a"));
        current
            .tags
            .insert(TAG_PROMOTED_FROM.to_owned(), "done".to_owned());
        let state = SecretState::new(
            vec![version("a", 5, None), current],
            Some(staged("s", 11, "r")),
        );
        assert!(matches!(state.promotion("b"), Promotion::AlreadyCurrent));
        assert!(matches!(state.promotion("done"), Promotion::FinishCleanup));
        assert!(matches!(state.promotion("s"), Promotion::Staged(v) if v.id == "s"));
        assert!(matches!(state.promotion("a"), Promotion::Older(v) if v.id == "a"));
        assert!(matches!(state.promotion("zzz"), Promotion::Unknown));
    }

    #[test]
    fn retirement_follows_the_state() {
        let mut gone = version("gone", 1, None);
        gone.enabled = false;
        let state = SecretState::new(
            vec![gone, version("a", 5, None), version("b", 10, Some("a"))],
            Some(staged("s", 11, "r")),
        );
        assert_eq!(state.retirement("b"), Retirement::RefuseCurrent);
        assert_eq!(state.retirement("a"), Retirement::Disable("a"));
        assert_eq!(state.retirement("gone"), Retirement::Nothing);
        assert_eq!(state.retirement("s"), Retirement::DisableStaged("s"));
        assert_eq!(state.retirement("zzz"), Retirement::Nothing);
    }
}
