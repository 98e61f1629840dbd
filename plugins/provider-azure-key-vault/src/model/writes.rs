//! What each write puts on the version it creates: the tags (the user's
//! and Tenure's bookkeeping, within Key Vault's limits), the content type,
//! `nbf` and `exp`. Pure: no I/O, unit-tested.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    MAX_TAG_VALUE, PENDING, TAG_PREVIOUS, TAG_PROMOTED_FROM, TAG_ROTATED_AT, TAG_RUN, TAG_STAGE,
    Version,
};

/// Annotations of a staged version are kept as tags with this prefix.
const TAG_NOTE: &str = "tenure-note-";
/// Key Vault's most tags on one version.
const MAX_TAGS: usize = 15;
/// Key Vault keeps at most 15 tags: two of a staged version's are Tenure's,
/// the rest may be notes.
const MAX_NOTES: usize = MAX_TAGS - 2;

/// A version about to be written (enabled), without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    /// Its content type.
    pub content_type: Option<String>,
    /// Its tags.
    pub tags: HashMap<String, String>,
    /// Its `nbf`.
    pub not_before: Option<DateTime<Utc>>,
    /// Its `exp`.
    pub expires: Option<DateTime<Utc>>,
}

impl NewVersion {
    /// A value written straight as current, replacing `current`: the
    /// current version's user tags and content type, `tags` on top, and the
    /// replaced version named so the two are ordered even within a second.
    pub fn replacing(
        current: Option<&Version>,
        tags: &BTreeMap<String, String>,
        now: DateTime<Utc>,
        expires_after: Option<Duration>,
    ) -> Self {
        let mut all: HashMap<_, _> = current.map(Version::user_tags).unwrap_or_default();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(current) = current {
            // A disabled version is never shown as previous.
            all.insert(TAG_PREVIOUS.to_owned(), current.id.clone());
        }
        fit_tags(&mut all, &[TAG_PREVIOUS]);
        Self {
            content_type: current.and_then(|v| v.content_type.clone()),
            tags: all,
            not_before: None,
            expires: expiry(expires_after, now, current),
        }
    }

    /// A staged version of the rotation `token` in the staging secret.
    pub fn staged(
        current: Option<&Version>,
        token: &str,
        annotations: &BTreeMap<String, String>,
    ) -> Self {
        let mut tags = HashMap::new();
        tags.insert(TAG_STAGE.to_owned(), PENDING.to_owned());
        tags.insert(TAG_RUN.to_owned(), token.to_owned());
        for (key, note) in annotations.iter().take(MAX_NOTES) {
            tags.insert(format!("{TAG_NOTE}{key}"), truncate(note));
        }
        Self {
            content_type: current.and_then(|v| v.content_type.clone()),
            tags,
            not_before: None,
            expires: None,
        }
    }

    /// The value of `source` (a staged or an older version) written as the
    /// new current version, recording what it replaced and where it came
    /// from.
    pub fn promoted(
        current: Option<&Version>,
        source: &Version,
        now: DateTime<Utc>,
        expires_after: Option<Duration>,
    ) -> Self {
        let mut tags: HashMap<_, _> = current.map(Version::user_tags).unwrap_or_default();
        if let Some(current) = current {
            tags.insert(TAG_PREVIOUS.to_owned(), current.id.clone());
        }
        tags.insert(TAG_ROTATED_AT.to_owned(), rfc3339(now));
        tags.insert(TAG_PROMOTED_FROM.to_owned(), source.id.clone());
        if let Some(run) = source.tag(TAG_RUN) {
            tags.insert(TAG_RUN.to_owned(), run.to_owned());
        }
        fit_tags(&mut tags, &[TAG_RUN, TAG_ROTATED_AT]);
        Self {
            content_type: current
                .and_then(|v| v.content_type.clone())
                .or_else(|| source.content_type.clone()),
            tags,
            not_before: Some(now),
            expires: expiry(expires_after, now, current),
        }
    }
}

/// The tags of `current` with `tags` set on top; `None` when that changes
/// nothing.
pub fn merged_tags(
    current: &Version,
    tags: &BTreeMap<String, String>,
) -> Option<HashMap<String, String>> {
    let mut merged = current.tags.clone();
    merged.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    (merged != current.tags).then_some(merged)
}

/// The `exp` of a version written at `now`, replacing `current`: now +
/// `expires_after` when configured, else now + the lifetime of `current`
/// (its `exp` minus its `nbf` or creation time), else none.
pub fn expiry(
    expires_after: Option<Duration>,
    now: DateTime<Utc>,
    current: Option<&Version>,
) -> Option<DateTime<Utc>> {
    if let Some(after) = expires_after {
        return TimeDelta::from_std(after)
            .ok()
            .and_then(|d| now.checked_add_signed(d));
    }
    let current = current?;
    let start = current.not_before.or(current.created)?;
    let lifetime = current.expires? - start;
    (lifetime > TimeDelta::zero()).then(|| now + lifetime)
}

/// Drops Tenure's optional tags, in order, until Key Vault's limit of 15
/// tags is met (the user's own tags are never dropped).
fn fit_tags(tags: &mut HashMap<String, String>, optional: &[&str]) {
    for key in optional {
        if tags.len() <= MAX_TAGS {
            return;
        }
        tags.remove(*key);
    }
}

/// A note cut to Key Vault's longest tag value.
fn truncate(value: &str) -> String {
    value.chars().take(MAX_TAG_VALUE).collect()
}

fn rfc3339(now: DateTime<Utc>) -> String {
    tenure_plugin_api::stamp(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("time")
    }

    fn version(id: &str) -> Version {
        Version {
            id: id.to_owned(),
            created: Some(at(100)),
            enabled: true,
            expires: None,
            not_before: None,
            content_type: Some("text/plain".to_owned()),
            tags: HashMap::from([
                ("team".to_owned(), "db".to_owned()),
                (TAG_PREVIOUS.to_owned(), "older".to_owned()),
            ]),
        }
    }

    #[test]
    fn optional_tags_make_room_for_the_users() {
        let mut tags: HashMap<String, String> =
            (0..13).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        for key in [TAG_PREVIOUS, TAG_PROMOTED_FROM, TAG_RUN, TAG_ROTATED_AT] {
            tags.insert(key.to_owned(), "x".to_owned());
        }
        fit_tags(&mut tags, &[TAG_RUN, TAG_ROTATED_AT]);
        assert_eq!(tags.len(), 15);
        assert!(tags.contains_key(TAG_PREVIOUS) && tags.contains_key(TAG_PROMOTED_FROM));
    }

    #[test]
    fn expiry_is_configured_or_inherited() {
        let now = at(1_000);
        let day = Duration::from_secs(86_400);
        assert_eq!(expiry(Some(day), now, None), Some(at(87_400)));
        let mut current = version("a");
        assert_eq!(expiry(None, now, Some(&current)), None);
        current.expires = Some(at(160));
        assert_eq!(expiry(None, now, Some(&current)), Some(at(1_060)));
        current.not_before = Some(at(150));
        assert_eq!(expiry(None, now, Some(&current)), Some(at(1_010)));
        current.not_before = Some(at(160));
        assert_eq!(expiry(None, now, Some(&current)), None);
        assert_eq!(expiry(None, now, None), None);
    }

    #[test]
    fn a_replacing_write_names_the_replaced_version() {
        let current = version("a");
        let tags = BTreeMap::from([("owner".to_owned(), "me".to_owned())]);
        let new = NewVersion::replacing(Some(&current), &tags, at(1_000), None);
        assert_eq!(new.tags.get(TAG_PREVIOUS).map(String::as_str), Some("a"));
        assert_eq!(new.tags.get("team").map(String::as_str), Some("db"));
        assert_eq!(new.tags.get("owner").map(String::as_str), Some("me"));
        assert_eq!(new.content_type.as_deref(), Some("text/plain"));
        assert_eq!(new.not_before, None);
        let first = NewVersion::replacing(None, &tags, at(1_000), None);
        assert_eq!(first.tags.len(), 1);
        assert_eq!(first.content_type, None);
    }

    #[test]
    fn a_staged_write_carries_the_token_and_at_most_13_notes() {
        let notes: BTreeMap<String, String> = (0..20)
            .map(|i| (format!("n{i:02}"), "x".repeat(300)))
            .collect();
        let new = NewVersion::staged(None, "run-1", &notes);
        assert_eq!(new.tags.len(), 15);
        assert_eq!(new.tags.get(TAG_STAGE).map(String::as_str), Some(PENDING));
        assert_eq!(new.tags.get(TAG_RUN).map(String::as_str), Some("run-1"));
        let note = new.tags.get("tenure-note-n00").expect("first note");
        assert_eq!(note.len(), MAX_TAG_VALUE);
        assert!(!new.tags.contains_key("tenure-note-n13"));
        assert_eq!(new.expires, None);
    }

    #[test]
    fn a_promoted_write_records_its_source_and_run() {
        let current = version("a");
        let mut source = version("s");
        source.content_type = None;
        source.tags.insert(TAG_RUN.to_owned(), "run-1".to_owned());
        let now = at(1_000);
        let new = NewVersion::promoted(Some(&current), &source, now, None);
        assert_eq!(new.tags.get(TAG_PREVIOUS).map(String::as_str), Some("a"));
        assert_eq!(
            new.tags.get(TAG_PROMOTED_FROM).map(String::as_str),
            Some("s")
        );
        assert_eq!(new.tags.get(TAG_RUN).map(String::as_str), Some("run-1"));
        assert_eq!(
            new.tags.get(TAG_ROTATED_AT).map(String::as_str),
            Some("1970-01-01T00:16:40Z")
        );
        assert_eq!(new.content_type.as_deref(), Some("text/plain"));
        assert_eq!(new.not_before, Some(now));
        let first = NewVersion::promoted(None, &version("s"), now, None);
        assert!(!first.tags.contains_key(TAG_PREVIOUS));
        assert_eq!(first.content_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn merging_tags_that_change_nothing_writes_nothing() {
        let current = version("a");
        let same = BTreeMap::from([("team".to_owned(), "db".to_owned())]);
        assert_eq!(merged_tags(&current, &same), None);
        let new = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
        let merged = merged_tags(&current, &new).expect("changed");
        assert_eq!(merged.get("team").map(String::as_str), Some("web"));
        assert_eq!(merged.get(TAG_PREVIOUS).map(String::as_str), Some("older"));
    }
}
