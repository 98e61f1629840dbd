//! SCIM groups: what a group body must hold (`displayName`, `members` as
//! `{ value, display }` objects naming users). Every change tells the
//! governance the group's members as owner ids (`owner_group`).

use serde_json::{Map, Value};

use super::errors::ScimError;

/// The core Group schema.
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Checks a group body; returns `displayName` and `externalId`.
pub fn normalize(body: &mut Map<String, Value>) -> Result<(String, Option<String>), ScimError> {
    let name = match body.get("displayName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => {
            return Err(ScimError::InvalidValue(
                "displayName is required and must be a non-empty string".into(),
            ));
        }
    };
    match body.get("members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(members)) => {
            if !members.iter().all(|m| m["value"].is_string()) {
                return Err(ScimError::InvalidValue(
                    "each member is an object with a string `value` (the user's id)".into(),
                ));
            }
        }
        Some(_) => return Err(ScimError::InvalidValue("members must be a list".into())),
    }
    Ok((name, super::resource::external_id(body)?))
}

/// The ids of the users a stored group body names.
pub fn member_ids(body: &Value) -> Vec<String> {
    body["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect()
}
