//! The JSON the stand-in reads and writes: secret bundles and their
//! attributes, pages with `nextLink`, deleted secrets, and request bodies
//! (tags, attributes).

// A refusal is a whole response; a test server need not box it.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use hyper::StatusCode;
use hyper::body::Bytes;
use serde_json::{Value, json};

use super::http::{Reply, bad_parameter, reply};
use super::store::{StoredSecret, StoredVersion, now};

pub(super) fn attributes_json(v: &StoredVersion) -> Value {
    let mut attributes = json!({
        "enabled": v.enabled,
        "created": v.created,
        "updated": v.updated,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    });
    if let Some(exp) = v.exp {
        attributes["exp"] = json!(exp);
    }
    if let Some(nbf) = v.nbf {
        attributes["nbf"] = json!(nbf);
    }
    attributes
}

pub(super) fn properties_json(
    vault_url: &str,
    name: &str,
    v: &StoredVersion,
    with_version: bool,
) -> Value {
    let id = if with_version {
        format!("{vault_url}/secrets/{name}/{}", v.id)
    } else {
        format!("{vault_url}/secrets/{name}")
    };
    let mut item = json!({ "id": id, "attributes": attributes_json(v) });
    if !v.tags.is_empty() {
        item["tags"] = json!(v.tags);
    }
    if let Some(ct) = &v.content_type {
        item["contentType"] = json!(ct);
    }
    item
}

pub(super) fn bundle(vault_url: &str, name: &str, v: &StoredVersion, with_value: bool) -> Value {
    let mut item = properties_json(vault_url, name, v, true);
    if with_value {
        item["value"] = json!(v.value);
    }
    item
}

pub(super) fn page(
    vault_url: &str,
    path: &str,
    items: Vec<Value>,
    query: &BTreeMap<String, String>,
) -> Reply {
    let size = match query.get("maxresults").map(|m| m.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=25).contains(&n) => n,
        Some(_) => return bad_parameter("maxresults must be between 1 and 25."),
    };
    let skip = query
        .get("$skiptoken")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(0);
    let end = (skip + size).min(items.len());
    let value: Vec<Value> = items
        .get(skip..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let next_link = (end < items.len()).then(|| {
        format!(
            "{vault_url}{path}?api-version={}&$skiptoken={end}&maxresults={size}",
            query.get("api-version").map(String::as_str).unwrap_or("")
        )
    });
    reply(
        StatusCode::OK,
        json!({ "value": value, "nextLink": next_link }),
    )
}

pub(super) fn parse_body(body: &Bytes) -> Result<Value, Reply> {
    if body.is_empty() {
        return Err(bad_parameter("The request body is empty."));
    }
    serde_json::from_slice(body).map_err(|_| bad_parameter("The request body is not valid JSON."))
}

pub(super) fn tags_of(value: &Value) -> Result<Option<BTreeMap<String, String>>, Reply> {
    match value.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            if map.len() > 15 {
                return Err(bad_parameter("Tags can not exceed 15."));
            }
            map.iter()
                .map(|(k, v)| match v {
                    Value::String(s) if k.len() <= 512 && s.len() <= 256 => Ok((k.clone(), s.clone())),
                    _ => Err(bad_parameter("A tag name must be at most 512 characters and its value a string of at most 256.")),
                })
                .collect::<Result<_, _>>()
                .map(Some)
        }
        Some(_) => Err(bad_parameter("tags must be an object.")),
    }
}

/// Applies `attributes` from a request body; `Err` for a malformed one.
pub(super) fn apply_attributes(v: &mut StoredVersion, body: &Value) -> Result<(), Reply> {
    let Some(attributes) = body.get("attributes").filter(|a| !a.is_null()) else {
        return Ok(());
    };
    let Some(attributes) = attributes.as_object() else {
        return Err(bad_parameter("attributes must be an object."));
    };
    for (key, value) in attributes {
        match (key.as_str(), value) {
            ("enabled", Value::Bool(b)) => v.enabled = *b,
            ("exp", Value::Number(n)) => v.exp = n.as_i64(),
            ("nbf", Value::Number(n)) => v.nbf = n.as_i64(),
            ("exp" | "nbf" | "enabled", Value::Null) => {}
            // Read-only attributes are ignored, as the service does.
            ("created" | "updated" | "recoveryLevel" | "recoverableDays", _) => {}
            _ => return Err(bad_parameter(&format!("Invalid attribute {key}."))),
        }
    }
    if let (Some(nbf), Some(exp)) = (v.nbf, v.exp)
        && nbf > exp
    {
        return Err(bad_parameter("nbf must be before exp."));
    }
    Ok(())
}

pub(super) fn deleted_json(vault_url: &str, secret: &StoredSecret) -> Value {
    let mut item = secret
        .versions
        .last()
        .map(|v| bundle(vault_url, &secret.name, v, false))
        .unwrap_or_else(|| json!({}));
    let deleted = secret.deleted.unwrap_or_else(now);
    item["recoveryId"] = json!(format!("{vault_url}/deletedsecrets/{}", secret.name));
    item["deletedDate"] = json!(deleted);
    item["scheduledPurgeDate"] = json!(deleted + 90 * 86_400);
    item
}
