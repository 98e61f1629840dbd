//! SCIM users: what a user body must hold, how a user maps to a Tenure
//! owner id (`[scim] owner_id`), and what a change means: deactivated
//! (`active: false`, Entra's `"False"` too) or deleted -> the owner left;
//! reactivated -> the owner returned. Each is the same event a signed
//! webhook would carry, so the same exactly-once path applies it.

use serde_json::{Map, Value};

use super::errors::ScimError;
use crate::config::ScimOwnerId;
use crate::state::ScimResource;

/// The core User schema.
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A boolean as identity providers send it: `true`, or `"True"` (Entra).
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Checks a user body (`userName` required, `active` a boolean, `emails` a
/// list) and normalizes it: `active` a JSON boolean (default true), string
/// booleans of `emails[].primary` too. Returns `userName` and `externalId`.
pub fn normalize(body: &mut Map<String, Value>) -> Result<(String, Option<String>), ScimError> {
    let user_name = match body.get("userName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => {
            return Err(ScimError::InvalidValue(
                "userName is required and must be a non-empty string".into(),
            ));
        }
    };
    let active = match body.get("active") {
        None | Some(Value::Null) => true,
        Some(value) => boolean(value).ok_or_else(|| {
            ScimError::InvalidValue(format!("active must be a boolean, not {value}"))
        })?,
    };
    body.insert("active".into(), Value::Bool(active));
    match body.get_mut("emails") {
        None | Some(Value::Null) => {}
        Some(Value::Array(emails)) => {
            for email in emails {
                let Some(email) = email.as_object_mut() else {
                    return Err(ScimError::InvalidValue("emails holds objects".into()));
                };
                if let Some(primary) = email.get("primary").and_then(boolean) {
                    email.insert("primary".into(), Value::Bool(primary));
                }
            }
        }
        Some(_) => return Err(ScimError::InvalidValue("emails must be a list".into())),
    }
    Ok((user_name, super::resource::external_id(body)?))
}

/// Whether the stored user is active.
pub fn is_active(user: &ScimResource) -> bool {
    user.body.get("active").and_then(boolean).unwrap_or(true)
}

/// The owner id `user` maps to: its `userName`, or with `email` its primary
/// email (else its first), falling back to `userName` when it has none.
pub fn owner_id(user: &ScimResource, mapping: ScimOwnerId) -> String {
    match mapping {
        ScimOwnerId::UserName => user.name.clone(),
        ScimOwnerId::Email => {
            let emails: Vec<&Value> = user.body["emails"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            let primary = emails
                .iter()
                .find(|e| e.get("primary").and_then(boolean) == Some(true))
                .or_else(|| emails.first());
            primary
                .and_then(|e| e["value"].as_str())
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map_or_else(|| user.name.clone(), str::to_owned)
        }
    }
}

/// The event type a change from `before` to `after` raises, with its owner:
/// `io.tenure.owner.left` when an active (or new) user ends inactive or
/// deleted, `io.tenure.owner.returned` when an inactive one is active again.
pub fn change(
    before: Option<&ScimResource>,
    after: Option<&ScimResource>,
    mapping: ScimOwnerId,
) -> Option<(&'static str, String)> {
    match (before, after) {
        (before, Some(after)) if !is_active(after) && before.is_none_or(is_active) => {
            Some(("io.tenure.owner.left", owner_id(after, mapping)))
        }
        (Some(before), Some(after)) if !is_active(before) && is_active(after) => {
            Some(("io.tenure.owner.returned", owner_id(after, mapping)))
        }
        (Some(before), None) if is_active(before) => {
            Some(("io.tenure.owner.left", owner_id(before, mapping)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::state::ScimKind;

    fn user(body: Value) -> ScimResource {
        let mut body = body.as_object().cloned().expect("object");
        let (name, external_id) = normalize(&mut body).expect("valid");
        ScimResource {
            kind: ScimKind::User,
            id: "u1".into(),
            name,
            external_id,
            version: 1,
            body: Value::Object(body),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn string_booleans_and_the_owner_mapping() {
        let dana = user(json!({"userName": "dana", "active": "False", "emails": [
            {"value": "other@example.com"}, {"value": "dana@example.com", "primary": "True"}]}));
        assert!(!is_active(&dana));
        assert_eq!(owner_id(&dana, ScimOwnerId::UserName), "dana");
        assert_eq!(owner_id(&dana, ScimOwnerId::Email), "dana@example.com");
        let bare = user(json!({"userName": "erin"}));
        assert!(is_active(&bare));
        assert_eq!(owner_id(&bare, ScimOwnerId::Email), "erin");
        let mut bad = json!({"userName": "x", "active": "maybe"})
            .as_object()
            .cloned()
            .expect("o");
        assert!(matches!(
            normalize(&mut bad),
            Err(ScimError::InvalidValue(_))
        ));
        let mut nameless = json!({"active": true}).as_object().cloned().expect("o");
        assert!(matches!(
            normalize(&mut nameless),
            Err(ScimError::InvalidValue(_))
        ));
    }

    #[test]
    fn what_each_change_means() {
        let on = user(json!({"userName": "dana", "active": true}));
        let off = user(json!({"userName": "dana", "active": false}));
        let m = ScimOwnerId::UserName;
        assert_eq!(change(None, Some(&on), m), None);
        assert_eq!(
            change(None, Some(&off), m),
            Some(("io.tenure.owner.left", "dana".into()))
        );
        assert_eq!(
            change(Some(&on), Some(&off), m),
            Some(("io.tenure.owner.left", "dana".into()))
        );
        assert_eq!(change(Some(&off), Some(&off), m), None);
        assert_eq!(
            change(Some(&off), Some(&on), m),
            Some(("io.tenure.owner.returned", "dana".into()))
        );
        assert_eq!(
            change(Some(&on), None, m),
            Some(("io.tenure.owner.left", "dana".into()))
        );
        assert_eq!(change(Some(&off), None, m), None);
    }
}
