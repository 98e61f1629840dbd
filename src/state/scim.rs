//! The rows behind the SCIM 2.0 intake: each user and group an identity
//! provider provisioned, with a version counter (its ETag) bumped on every
//! write, so they survive a restart and concurrent writers cannot both win.

use chrono::{DateTime, Utc};

/// Which SCIM resource type a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimKind {
    /// `urn:ietf:params:scim:schemas:core:2.0:User`.
    User,
    /// `urn:ietf:params:scim:schemas:core:2.0:Group`.
    Group,
}

impl ScimKind {
    /// The stable name stored in the database (the SCIM resource type).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// Parses a name produced by [`ScimKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::User, Self::Group]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One provisioned user or group.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimResource {
    /// User or group.
    pub kind: ScimKind,
    /// The id Tenure assigned (a UUID).
    pub id: String,
    /// `userName` (users) or `displayName` (groups): unique per kind,
    /// compared without regard to case.
    pub name: String,
    /// The identity provider's own id, if it sent one.
    pub external_id: Option<String>,
    /// Bumped on every write; `meta.version` is `W/"<version>"`.
    pub version: i64,
    /// The resource's attributes as JSON (never `password`, `id` or `meta`).
    pub body: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

/// What a SCIM write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimWrite {
    /// Written (and its event, if any, stored in the same transaction).
    Written,
    /// Another resource of the kind has this name: nothing changed.
    NameTaken,
    /// The resource is gone or its version is not the expected one: nothing changed.
    Stale,
}
