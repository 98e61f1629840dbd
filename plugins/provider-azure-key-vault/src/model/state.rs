//! [`SecretState`]: a secret's versions ordered oldest first with the
//! current one last, its previous and its pending version, and the metadata
//! the [`Provider`](tenure_plugin_api::Provider) trait reports for it.

use std::collections::HashSet;

use chrono::DateTime;
use tenure_plugin_api::{SecretMetadata, Stage, VersionId, VersionInfo};

use super::{TAG_PREVIOUS, TAG_RUN, Version};

/// The live pending version among a staging secret's versions: the newest
/// enabled one tagged pending.
pub fn newest_live_pending(versions: Vec<Version>) -> Option<Version> {
    let mut live: Vec<Version> = versions
        .into_iter()
        .filter(Version::is_live_pending)
        .collect();
    live.sort_by_key(|v| v.created);
    live.pop()
}

/// What Tenure sees of one secret: its versions, which one is current and
/// which previous, and the staged (pending) version, if any.
#[derive(Debug)]
pub struct SecretState {
    /// Every version of the secret, oldest first, the current one last.
    versions: Vec<Version>,
    /// The staged version (a version of the staging secret).
    pending: Option<Version>,
}

impl SecretState {
    /// Orders `versions` oldest first with the current one last. Key Vault
    /// keeps creation times in whole seconds, so versions written within
    /// one second tie; a version another one names as its previous is the
    /// older of the two.
    pub fn new(mut versions: Vec<Version>, pending: Option<Version>) -> Self {
        versions.sort_by_key(|v| v.created);
        let replaced: HashSet<String> = versions
            .iter()
            .filter_map(|v| v.tag(TAG_PREVIOUS).map(str::to_owned))
            .collect();
        if let Some(newest) = versions.last().map(|v| v.created) {
            // Among the newest, the one no other version replaced is current.
            let current = versions
                .iter()
                .rposition(|v| v.created == newest && !replaced.contains(&v.id));
            if let Some(index) = current {
                let current = versions.remove(index);
                versions.push(current);
            }
        }
        Self { versions, pending }
    }

    /// The newest version: what a consumer reading "latest" gets.
    pub fn current(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// The version the current one replaced, while it is enabled.
    pub fn previous(&self) -> Option<&Version> {
        let current = self.current()?;
        let id = current.tag(TAG_PREVIOUS)?;
        self.versions
            .iter()
            .find(|v| v.id == id && v.id != current.id && v.enabled)
    }

    /// The live staged version, if any.
    pub fn pending(&self) -> Option<&Version> {
        self.pending.as_ref()
    }

    /// The version of the secret (not of the staging secret) with this id.
    pub fn find(&self, id: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// The secret as the [`Provider`](tenure_plugin_api::Provider) trait
    /// describes it.
    pub fn metadata(&self, path: &str) -> SecretMetadata {
        let current = self.current();
        let stages = StageIds {
            current: current.map(|v| v.id.as_str()),
            previous: self.previous().map(|v| v.id.as_str()),
        };
        let mut versions: Vec<VersionInfo> =
            self.versions.iter().map(|v| stages.info_of(v)).collect();
        versions.extend(self.pending.as_ref().map(pending_info));
        SecretMetadata {
            path: path.to_owned(),
            versions,
            tags: current.map(Version::user_tags).unwrap_or_default(),
            enabled: current.is_some_and(|v| v.enabled),
            expires_at: current.and_then(|v| v.expires),
        }
    }
}

/// The ids of the current and the previous version.
struct StageIds<'a> {
    current: Option<&'a str>,
    previous: Option<&'a str>,
}

impl StageIds<'_> {
    fn stage_of(&self, version: &Version) -> Option<Stage> {
        let id = Some(version.id.as_str());
        if id == self.current {
            Some(Stage::Current)
        } else if id == self.previous {
            Some(Stage::Previous)
        } else {
            None
        }
    }

    fn info_of(&self, version: &Version) -> VersionInfo {
        VersionInfo {
            id: VersionId(version.id.clone()),
            created_at: version.created.unwrap_or(DateTime::UNIX_EPOCH),
            stages: self.stage_of(version).into_iter().collect(),
            token: None,
            // Key Vault refuses to serve a disabled version.
            readable: version.enabled,
        }
    }
}

fn pending_info(pending: &Version) -> VersionInfo {
    VersionInfo {
        id: VersionId(pending.id.clone()),
        created_at: pending.created.unwrap_or(DateTime::UNIX_EPOCH),
        stages: vec![Stage::Pending],
        token: pending.tag(TAG_RUN).map(str::to_owned),
        readable: pending.enabled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{staged, version};

    #[test]
    fn current_is_newest_and_ties_follow_the_previous_chain() {
        let state = SecretState::new(
            vec![
                version("b", 10, Some("a")),
                version("a", 10, None),
                version("old", 5, None),
            ],
            None,
        );
        assert_eq!(state.current().map(|v| v.id.as_str()), Some("b"));
        assert_eq!(state.previous().map(|v| v.id.as_str()), Some("a"));
        let meta = state.metadata("p");
        assert_eq!(
            meta.version(Stage::Current).map(|v| v.id.0.as_str()),
            Some("b")
        );
        assert_eq!(
            meta.version(Stage::Previous).map(|v| v.id.0.as_str()),
            Some("a")
        );
        assert_eq!(meta.versions.first().map(|v| v.id.0.as_str()), Some("old"));
    }

    #[test]
    fn a_disabled_or_unnamed_previous_version_is_not_previous() {
        let mut a = version("a", 5, None);
        a.enabled = false;
        let state = SecretState::new(vec![a, version("b", 10, Some("a"))], None);
        assert!(state.previous().is_none());
        let meta = state.metadata("p");
        assert!(meta.version(Stage::Previous).is_none());
        assert_eq!(meta.versions.first().map(|v| v.readable), Some(false));
        let state = SecretState::new(vec![version("a", 5, None), version("b", 10, None)], None);
        assert!(state.previous().is_none());
    }

    #[test]
    fn metadata_shows_the_pending_version_and_hides_own_tags() {
        let mut current = version("b", 10, Some("a"));
        current.tags.insert("team".to_owned(), "db".to_owned());
        current.enabled = false;
        let state = SecretState::new(vec![current], Some(staged("s", 11, "run-1")));
        let meta = state.metadata("p");
        let pending = meta.version(Stage::Pending).expect("pending");
        assert_eq!(pending.id.0, "s");
        assert_eq!(pending.token.as_deref(), Some("run-1"));
        assert_eq!(meta.tags.len(), 1);
        assert_eq!(meta.tags.get("team").map(String::as_str), Some("db"));
        assert!(!meta.enabled);
    }

    #[test]
    fn the_newest_live_staged_version_is_pending() {
        let mut disabled = staged("late", 30, "r");
        disabled.enabled = false;
        let found = newest_live_pending(vec![
            staged("old", 10, "r"),
            staged("new", 20, "r"),
            disabled,
            version("untagged", 40, None),
        ]);
        assert_eq!(found.map(|v| v.id), Some("new".to_owned()));
        assert!(newest_live_pending(Vec::new()).is_none());
    }
}
