//! The SCIM handlers: authorize, read the request (`application/scim+json`
//! or `application/json`), act through [`resource`](super::resource), and
//! answer with the SCIM content type, `ETag` and `Location`. One generic
//! handler per verb serves both users and groups.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use uuid::Uuid;

use super::discovery::{self, MAX_COUNT};
use super::errors::ScimError;
use super::filter::Filter;
use super::resource::{Sink, Write, etag, if_match_allows, location, read_body, render};
use super::{CONTENT_TYPE, Scim, patch};
use crate::server::AppState;
use crate::state::{ScimKind, ScimResource};

/// Which resource type a handler serves.
pub trait Kind {
    /// The kind.
    const KIND: ScimKind;
}

/// `/Users`.
pub struct Users;
/// `/Groups`.
pub struct Groups;

impl Kind for Users {
    const KIND: ScimKind = ScimKind::User;
}
impl Kind for Groups {
    const KIND: ScimKind = ScimKind::Group;
}

type Answer = Result<Response, ScimError>;

/// A SCIM JSON answer.
fn answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// A resource answer with its `ETag` (and `Location` on 201).
fn resource_answer(scim: &Scim, status: StatusCode, resource: &ScimResource) -> Response {
    let mut response = answer(status, &render(scim, resource, &[]));
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&etag(resource.version)) {
        headers.insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED
        && let Ok(at) = HeaderValue::from_str(&location(scim, resource))
    {
        headers.insert(header::LOCATION, at);
    }
    response
}

fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ScimError> {
    let body = body.map_err(|r| ScimError::InvalidSyntax(r.body_text()))?;
    serde_json::from_slice(&body)
        .map_err(|e| ScimError::InvalidSyntax(format!("the body is not JSON: {e}")))
}

fn id_of(id: Result<Path<String>, PathRejection>) -> Result<String, ScimError> {
    id.map(|Path(id)| id)
        .map_err(|r| ScimError::InvalidSyntax(r.body_text()))
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

fn sink<'a>(app: &'a AppState, scim: &'a Scim) -> Sink<'a> {
    let reconciler = &app.inner.reconciler;
    Sink {
        store: reconciler.store().as_ref(),
        audit: reconciler.audit(),
        scim,
    }
}

/// The stored resource `id`, or 404; 412 when `If-Match` names another version.
async fn current<K: Kind>(
    app: &AppState,
    id: &str,
    headers: Option<&HeaderMap>,
) -> Result<ScimResource, ScimError> {
    let found = app
        .inner
        .reconciler
        .store()
        .scim_resource(K::KIND, id)
        .await
        .map_err(|e| ScimError::Unavailable(e.to_string()))?
        .ok_or_else(|| ScimError::NotFound {
            kind: K::KIND.as_str(),
            id: id.to_owned(),
        })?;
    if let Some(headers) = headers
        && !if_match_allows(if_match(headers), found.version)
    {
        return Err(ScimError::PreconditionFailed);
    }
    Ok(found)
}

/// Writes, then wakes the service when the write raised an event.
async fn write(
    app: &AppState,
    scim: &Scim,
    op: Write,
    before: Option<&ScimResource>,
    after: Option<&ScimResource>,
) -> Result<(), ScimError> {
    if sink(app, scim).write(op, before, after).await? {
        app.inner.wake.notify_one();
    }
    Ok(())
}

/// A page of `1..` index `start`, `count` long (RFC 7644 §3.4.2.4).
fn page(query: &HashMap<String, String>) -> Result<(usize, usize), ScimError> {
    let number = |name: &str, default: i64| -> Result<i64, ScimError> {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or(Ok(default), |(_, v)| {
                v.trim().parse::<i64>().map_err(|_| {
                    ScimError::InvalidValue(format!("{name} must be an integer, not {v:?}"))
                })
            })
    };
    let start = usize::try_from(number("startIndex", 1)?.max(1)).unwrap_or(1);
    let max = i64::try_from(MAX_COUNT).unwrap_or(i64::MAX);
    let count = usize::try_from(number("count", max)?.clamp(0, max)).unwrap_or(MAX_COUNT);
    Ok((start, count))
}

/// `GET /Users` or `/Groups`: filtered, paged.
pub async fn list<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let Query(query) = query.map_err(|r| ScimError::InvalidSyntax(r.body_text()))?;
    let filter = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filter"))
        .map(|(_, f)| Filter::parse(f))
        .transpose()?;
    let excluded: Vec<String> = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("excludedAttributes"))
        .map(|(_, v)| v.split(',').map(|a| a.trim().to_owned()).collect())
        .unwrap_or_default();
    let (start, count) = page(&query)?;
    let all = app
        .inner
        .reconciler
        .store()
        .scim_resources(K::KIND)
        .await
        .map_err(|e| ScimError::Unavailable(e.to_string()))?;
    let matching: Vec<&ScimResource> = all
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    let shown = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|r| render(scim, r, &excluded))
        .collect();
    Ok(answer(
        StatusCode::OK,
        &discovery::list(shown, matching.len(), start),
    ))
}

/// `POST /Users` or `/Groups`: 201 with the resource.
pub async fn create<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let body = json_body(body)?;
    let created = read_body(
        K::KIND,
        body,
        Uuid::new_v4().to_string(),
        1,
        chrono::Utc::now(),
    )?;
    write(&app, scim, Write::Create, None, Some(&created)).await?;
    Ok(resource_answer(scim, StatusCode::CREATED, &created))
}

/// `GET /Users/{id}` or `/Groups/{id}`.
pub async fn get<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let found = current::<K>(&app, &id_of(id)?, None).await?;
    // A conditional GET (RFC 7644 3.14): the client's copy is current.
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && if_match_allows(Some(tags), found.version)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(tag) = HeaderValue::from_str(&etag(found.version)) {
            response.headers_mut().insert(header::ETAG, tag);
        }
        return Ok(response);
    }
    Ok(resource_answer(scim, StatusCode::OK, &found))
}

/// `PUT /Users/{id}` or `/Groups/{id}`: the whole resource replaced (Okta).
pub async fn replace<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let before = current::<K>(&app, &id_of(id)?, Some(&headers)).await?;
    let body = json_body(body)?;
    rewrite(&app, scim, Write::Replace, &before, body).await
}

/// Writes `body` as the next version of `before`; 200 with it.
async fn rewrite(
    app: &AppState,
    scim: &Scim,
    op: Write,
    before: &ScimResource,
    body: Value,
) -> Answer {
    let after = read_body(
        before.kind,
        body,
        before.id.clone(),
        before.version + 1,
        before.created_at,
    )?;
    write(app, scim, op, Some(before), Some(&after)).await?;
    Ok(resource_answer(scim, StatusCode::OK, &after))
}

/// `PATCH /Users/{id}` or `/Groups/{id}`: add, replace, remove.
pub async fn modify<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let before = current::<K>(&app, &id_of(id)?, Some(&headers)).await?;
    let operations = patch::parse(&json_body(body)?)?;
    let mut attributes = before.body.as_object().cloned().unwrap_or_default();
    patch::apply(&mut attributes, &operations)?;
    rewrite(&app, scim, Write::Patch, &before, Value::Object(attributes)).await
}

/// `DELETE /Users/{id}` or `/Groups/{id}`: 204.
pub async fn remove<K: Kind>(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    let before = current::<K>(&app, &id_of(id)?, Some(&headers)).await?;
    write(&app, scim, Write::Delete, Some(&before), None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /ServiceProviderConfig`.
pub async fn service_provider_config(State(app): State<AppState>, headers: HeaderMap) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    Ok(answer(
        StatusCode::OK,
        &discovery::service_provider_config(scim),
    ))
}

/// `GET /ResourceTypes`.
pub async fn resource_types(State(app): State<AppState>, headers: HeaderMap) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    Ok(answer(StatusCode::OK, &discovery::resource_types(scim)))
}

/// `GET /Schemas`.
pub async fn schemas(State(app): State<AppState>, headers: HeaderMap) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    Ok(answer(StatusCode::OK, &discovery::schemas(scim)))
}

/// The entry `id` of a discovery list, or a SCIM 404 naming `kind`.
fn entry_of(list: &Value, kind: &'static str, id: &str) -> Answer {
    list["Resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["id"] == id))
        .map(|found| answer(StatusCode::OK, found))
        .ok_or_else(|| ScimError::NotFound {
            kind,
            id: id.to_owned(),
        })
}

/// `GET /ResourceTypes/{id}` (`User` or `Group`).
pub async fn resource_type(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    entry_of(
        &discovery::resource_types(scim),
        "ResourceType",
        &id_of(id)?,
    )
}

/// `GET /Schemas/{id}` (the schema's URN).
pub async fn schema(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let scim = super::authorize(&app, &headers)?;
    entry_of(&discovery::schemas(scim), "Schema", &id_of(id)?)
}
