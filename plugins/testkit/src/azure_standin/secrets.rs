//! The Key Vault secrets operations the stand-in serves: list, versions,
//! get, set, update, delete (soft), the deleted secret, recover and purge.

use std::collections::BTreeMap;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use super::MAX_VALUE;
use super::http::{Reply, bad_parameter, kv_error, not_found, reply};
use super::json::{
    apply_attributes, bundle, deleted_json, page, parse_body, properties_json, tags_of,
};
use super::store::{State, StoredVersion, live, now, stored, stored_mut, valid_name};

pub(super) fn list_secrets(
    state: &State,
    vault_url: &str,
    query: &BTreeMap<String, String>,
) -> Reply {
    let items = state
        .secrets
        .values()
        .filter(|s| s.deleted.is_none())
        .filter_map(|s| {
            s.versions
                .last()
                .map(|v| properties_json(vault_url, &s.name, v, false))
        })
        .collect();
    page(vault_url, "/secrets", items, query)
}

pub(super) fn list_versions(
    state: &State,
    vault_url: &str,
    name: &str,
    query: &BTreeMap<String, String>,
) -> Reply {
    // The service lists versions in the order of their ids, not of their
    // creation: a client cannot take the last listed for the newest.
    let items = live(state, name)
        .map(|s| {
            let mut versions: Vec<&StoredVersion> = s.versions.iter().collect();
            versions.sort_by(|a, b| a.id.cmp(&b.id));
            versions
                .into_iter()
                .map(|v| properties_json(vault_url, &s.name, v, true))
                .collect()
        })
        .unwrap_or_default();
    page(
        vault_url,
        &format!("/secrets/{name}/versions"),
        items,
        query,
    )
}

pub(super) fn get_secret(
    state: &State,
    vault_url: &str,
    name: &str,
    version: Option<&str>,
) -> Reply {
    let Some(secret) = live(state, name) else {
        return not_found(name);
    };
    let Some(v) = secret.position(version).map(|i| &secret.versions[i]) else {
        return not_found(&format!("{name}/{}", version.unwrap_or("")));
    };
    if !v.enabled {
        return reply(
            StatusCode::FORBIDDEN,
            json!({ "error": { "code": "Forbidden", "message": "Operation get is not allowed on a disabled secret.", "innererror": { "code": "SecretDisabled" } } }),
        );
    }
    reply(StatusCode::OK, bundle(vault_url, &secret.name, v, true))
}

pub(super) fn set_secret(state: &mut State, vault_url: &str, name: &str, body: &Bytes) -> Reply {
    if !valid_name(name) {
        return bad_parameter(&format!(
            "The request URI contains an invalid name: {name}. Secret names must be 1 to 127 characters, letters, digits and dashes only."
        ));
    }
    let body = match parse_body(body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let Some(value) = body.get("value").and_then(Value::as_str) else {
        return bad_parameter("Property value is required.");
    };
    if value.len() > MAX_VALUE {
        return bad_parameter("The secret value exceeds 25 KB.");
    }
    let tags = match tags_of(&body) {
        Ok(tags) => tags.unwrap_or_default(),
        Err(r) => return r,
    };
    if stored(state, name, true).is_some() {
        return kv_error(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
            ),
        );
    }
    let mut version = StoredVersion {
        content_type: body
            .get("contentType")
            .and_then(Value::as_str)
            .map(str::to_owned),
        tags,
        ..StoredVersion::new(value)
    };
    if let Err(r) = apply_attributes(&mut version, &body) {
        return r;
    }
    let secret = state.push_version(name, version);
    let v = secret.versions.last().expect("the version just written");
    reply(StatusCode::OK, bundle(vault_url, &secret.name, v, true))
}

pub(super) fn update_secret(
    state: &mut State,
    vault_url: &str,
    name: &str,
    version: Option<&str>,
    body: &Bytes,
) -> Reply {
    let body = match parse_body(body) {
        Ok(body) => body,
        Err(r) => return r,
    };
    let tags = match tags_of(&body) {
        Ok(tags) => tags,
        Err(r) => return r,
    };
    let Some(secret) = stored_mut(state, name, false) else {
        return not_found(name);
    };
    let stored_name = secret.name.clone();
    let Some(v) = secret.position(version).map(|i| &mut secret.versions[i]) else {
        return not_found(&format!("{name}/{}", version.unwrap_or("")));
    };
    let mut updated = v.clone();
    if let Err(r) = apply_attributes(&mut updated, &body) {
        return r;
    }
    if let Some(tags) = tags {
        updated.tags = tags;
    }
    if let Some(ct) = body.get("contentType").and_then(Value::as_str) {
        updated.content_type = Some(ct.to_owned());
    }
    updated.updated = now();
    *v = updated;
    reply(StatusCode::OK, bundle(vault_url, &stored_name, v, false))
}

pub(super) fn delete_secret(state: &mut State, vault_url: &str, name: &str) -> Reply {
    let Some(secret) = stored_mut(state, name, false) else {
        return not_found(name);
    };
    secret.deleted = Some(now());
    reply(StatusCode::OK, deleted_json(vault_url, secret))
}

pub(super) fn get_deleted(state: &State, vault_url: &str, name: &str) -> Reply {
    match stored(state, name, true) {
        Some(secret) => reply(StatusCode::OK, deleted_json(vault_url, secret)),
        None => not_found(name),
    }
}

pub(super) fn recover(state: &mut State, vault_url: &str, name: &str) -> Reply {
    let Some(secret) = stored_mut(state, name, true) else {
        return not_found(name);
    };
    secret.deleted = None;
    match secret.versions.last() {
        Some(v) => reply(StatusCode::OK, bundle(vault_url, &secret.name, v, false)),
        None => not_found(name),
    }
}

pub(super) fn purge(state: &mut State, name: &str) -> Reply {
    if stored(state, name, true).is_none() {
        return not_found(name);
    }
    state.secrets.remove(&name.to_ascii_lowercase());
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
