//! Versions for the model's unit tests.

use std::collections::HashMap;

use chrono::DateTime;

use super::{PENDING, TAG_PREVIOUS, TAG_RUN, TAG_STAGE, Version};

/// An enabled version created at `created` (seconds), naming `previous`.
pub fn version(id: &str, created: i64, previous: Option<&str>) -> Version {
    let mut tags = HashMap::new();
    if let Some(previous) = previous {
        tags.insert(TAG_PREVIOUS.to_owned(), previous.to_owned());
    }
    Version {
        id: id.to_owned(),
        created: DateTime::from_timestamp(created, 0),
        enabled: true,
        expires: None,
        not_before: None,
        content_type: None,
        tags,
    }
}

/// A live staged version of the rotation `run`.
pub fn staged(id: &str, created: i64, run: &str) -> Version {
    let mut v = version(id, created, None);
    v.tags.insert(TAG_STAGE.to_owned(), PENDING.to_owned());
    v.tags.insert(TAG_RUN.to_owned(), run.to_owned());
    v
}
