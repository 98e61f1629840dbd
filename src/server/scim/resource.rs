//! One SCIM resource's lifecycle, the same for users and groups: read a
//! body into a stored row, render a row (with `meta` and its weak ETag),
//! check `If-Match`, and write with compare-and-swap together with the
//! event the change raises, then audit it with the actor `scim`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tracing::{error as log_error, info};

use super::errors::ScimError;
use super::patch::key_of;
use super::{Scim, groups, users};
use crate::audit::{AuditLog, Event};
use crate::events::{Channel, CloudEvent, inbound};
use crate::state::{InboundEvent, ScimKind, ScimResource, ScimWrite, StateStore};

/// Attributes a client may not set: the server's own, and `password` (never stored).
const SERVER_OWNED: [&str; 3] = ["id", "meta", "password"];

/// The endpoint's name of a kind (`Users`, `Groups`).
pub fn endpoint(kind: ScimKind) -> &'static str {
    match kind {
        ScimKind::User => "Users",
        ScimKind::Group => "Groups",
    }
}

fn schema(kind: ScimKind) -> &'static str {
    match kind {
        ScimKind::User => users::SCHEMA,
        ScimKind::Group => groups::SCHEMA,
    }
}

/// `externalId`, if the body has one: a string.
pub fn external_id(body: &Map<String, Value>) -> Result<Option<String>, ScimError> {
    match body.get("externalId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) => Ok(Some(id.clone())),
        Some(other) => Err(ScimError::InvalidValue(format!(
            "externalId must be a string, not {other}"
        ))),
    }
}

/// The weak ETag of a version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether `If-Match` (absent, `*`, or a list of ETags) allows writing `version`.
pub fn if_match_allows(if_match: Option<&str>, version: i64) -> bool {
    let Some(header) = if_match else { return true };
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == format!("\"{version}\""))
}

/// `body` as a stored row of `kind`: attribute names as the RFC spells
/// them, server-owned attributes dropped, the kind's checks applied.
pub fn read_body(
    kind: ScimKind,
    body: Value,
    id: String,
    version: i64,
    created_at: DateTime<Utc>,
) -> Result<ScimResource, ScimError> {
    let Value::Object(object) = body else {
        return Err(ScimError::InvalidSyntax("the body is a JSON object".into()));
    };
    let mut clean = Map::new();
    for (key, value) in object {
        if SERVER_OWNED.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
            continue;
        }
        let key = key_of(&clean, &key);
        clean.insert(key, value);
    }
    if !clean
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(schema(kind)))
            })
        })
    {
        clean.insert("schemas".into(), json!([schema(kind)]));
    }
    let (name, external_id) = match kind {
        ScimKind::User => users::normalize(&mut clean)?,
        ScimKind::Group => groups::normalize(&mut clean)?,
    };
    Ok(ScimResource {
        kind,
        id,
        name,
        external_id,
        version,
        body: Value::Object(clean),
        created_at,
        updated_at: Utc::now(),
    })
}

/// Where a resource is: `<base_url>/<Users|Groups>/<id>`.
pub fn location(scim: &Scim, resource: &ScimResource) -> String {
    let base = scim.base_url.as_deref().unwrap_or("/scim/v2");
    format!("{base}/{}/{}", endpoint(resource.kind), resource.id)
}

/// The resource as SCIM shows it, without the `excluded` attributes.
pub fn render(scim: &Scim, resource: &ScimResource, excluded: &[String]) -> Value {
    let mut body = resource.body.as_object().cloned().unwrap_or_default();
    body.retain(|key, _| !excluded.iter().any(|e| e.eq_ignore_ascii_case(key)));
    body.insert("id".into(), json!(resource.id));
    body.insert(
        "meta".into(),
        json!({
            "resourceType": resource.kind.as_str(),
            "created": tenure_plugin_api::stamp(resource.created_at),
            "lastModified": tenure_plugin_api::stamp(resource.updated_at),
            "version": etag(resource.version),
            "location": location(scim, resource),
        }),
    );
    Value::Object(body)
}

/// The owner ids of the members of `group` (none once it is deleted).
async fn member_owners(
    store: &dyn StateStore,
    scim: &Scim,
    group: Option<&ScimResource>,
) -> Result<Vec<String>, ScimError> {
    let mut owners = Vec::new();
    for id in group
        .map(|g| groups::member_ids(&g.body))
        .unwrap_or_default()
    {
        let user = store
            .scim_resource(ScimKind::User, &id)
            .await
            .map_err(unavailable)?;
        if let Some(user) = user {
            owners.push(users::owner_id(&user, scim.owner_id));
        }
    }
    Ok(owners)
}

/// The event a change raises, ready to store with the write: a user's
/// owner left or returned; a group's members (as owner ids).
async fn event_for(
    sink: &Sink<'_>,
    before: Option<&ScimResource>,
    after: Option<&ScimResource>,
    version: i64,
) -> Result<Option<InboundEvent>, ScimError> {
    let Some(resource) = after.or(before) else {
        return Ok(None);
    };
    let (kind, data) = match resource.kind {
        ScimKind::User => match users::change(before, after, sink.scim.owner_id) {
            Some((kind, owner)) => (kind, json!({ "owner": owner })),
            None => return Ok(None),
        },
        ScimKind::Group => {
            let members = member_owners(sink.store, sink.scim, after).await?;
            (
                "io.tenure.group.members",
                json!({ "group": resource.name, "members": members }),
            )
        }
    };
    let now = Utc::now();
    let event = CloudEvent {
        id: format!("v{version}"),
        source: format!("/scim/v2/{}/{}", endpoint(resource.kind), resource.id),
        kind: kind.to_owned(),
        time: Some(now),
        data,
    };
    inbound(Channel::Scim, event, None, now)
        .map(Some)
        .map_err(|e| ScimError::InvalidValue(e.to_string()))
}

/// What a write is, for the audit trail.
#[derive(Debug, Clone, Copy)]
pub enum Write {
    /// POST.
    Create,
    /// PUT.
    Replace,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Write {
    fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Replace => "replace",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }
}

/// Where a write goes.
pub struct Sink<'a> {
    /// The state store.
    pub store: &'a dyn StateStore,
    /// The audit trail.
    pub audit: &'a AuditLog,
    /// The intake's settings.
    pub scim: &'a Scim,
}

fn unavailable(err: impl std::fmt::Display) -> ScimError {
    log_error!(error = %err, "A SCIM write failed.");
    ScimError::Unavailable("the state store is unavailable".into())
}

impl Sink<'_> {
    /// Writes `after` over `before` (a create when `before` is `None`, a
    /// delete when `after` is), with the event it raises, then audits it.
    /// Whether an event was stored.
    pub async fn write(
        &self,
        op: Write,
        before: Option<&ScimResource>,
        after: Option<&ScimResource>,
    ) -> Result<bool, ScimError> {
        let Some(subject) = after.or(before) else {
            return Ok(false);
        };
        let version = after.map_or_else(|| subject.version + 1, |a| a.version);
        let event = event_for(self, before, after, version).await?;
        let written = match (before, after) {
            (before, Some(after)) => self
                .store
                .put_scim_resource(after, before.map(|b| b.version), event.as_ref())
                .await
                .map_err(unavailable)?,
            (Some(before), None) => self
                .store
                .delete_scim_resource(before.kind, &before.id, before.version, event.as_ref())
                .await
                .map_err(unavailable)?,
            (None, None) => ScimWrite::Stale,
        };
        match written {
            ScimWrite::Written => {}
            ScimWrite::NameTaken => {
                let attribute = match subject.kind {
                    ScimKind::User => "userName",
                    ScimKind::Group => "displayName",
                };
                return Err(ScimError::Uniqueness(format!(
                    "another {} has the {attribute} {:?}",
                    subject.kind.as_str(),
                    subject.name
                )));
            }
            ScimWrite::Stale => return Err(ScimError::PreconditionFailed),
        }
        let mut data = json!({
            "by": "scim",
            "op": op.as_str(),
            "resourceType": subject.kind.as_str(),
            "id": subject.id,
            "name": subject.name,
            "version": version,
            "event": event.as_ref().map(|e| json!({ "id": e.id, "type": e.kind, "data": e.data })),
        });
        if let Some(after) = after.filter(|a| a.kind == ScimKind::User) {
            data["active"] = json!(users::is_active(after));
        }
        if let Some(after) = after.filter(|a| a.kind == ScimKind::Group) {
            data["members"] = json!(groups::member_ids(&after.body));
        }
        self.audit
            .append(Event::new("scim", None, None, data))
            .await
            .map_err(|err| {
                log_error!(error = %err, "A SCIM change was stored but could not be audited.");
                ScimError::Unavailable(
                    "the change was stored but the audit trail could not be written".into(),
                )
            })?;
        info!(
            kind = subject.kind.as_str(),
            id = %subject.id,
            op = op.as_str(),
            event = event.as_ref().map(|e| e.kind.as_str()),
            "SCIM {} {} {}.",
            op.as_str(),
            subject.kind.as_str(),
            subject.id
        );
        Ok(event.is_some())
    }
}
