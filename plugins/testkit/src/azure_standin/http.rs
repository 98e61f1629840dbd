//! The stand-in's front: the replies in the service's shapes, the router
//! (host, throttle, bearer auth, `api-version`, then the route) and Entra
//! ID's token endpoint.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::secrets::{
    delete_secret, get_deleted, get_secret, list_secrets, list_versions, purge, recover,
    set_secret, update_secret,
};
use super::store::random_hex;
use super::{CLIENT_ID, CLIENT_SECRET, LOGIN_HOST, RESOURCE, Shared, TENANT, VAULT_HOST};

pub(super) type Reply = Response<Full<Bytes>>;

pub(super) fn reply(status: StatusCode, body: Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

pub(super) fn kv_error(status: StatusCode, code: &str, message: &str) -> Reply {
    reply(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

pub(super) fn not_found(what: &str) -> Reply {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

pub(super) fn bad_parameter(message: &str) -> Reply {
    kv_error(StatusCode::BAD_REQUEST, "BadParameter", message)
}

pub(super) fn query_pairs(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

pub(super) async fn handle(shared: &Shared, req: Request<Incoming>) -> Reply {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = query_pairs(req.uri().query().unwrap_or(""));
    let authorization = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let body = match req.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return bad_parameter("unreadable body"),
    };
    if host == LOGIN_HOST {
        return token_endpoint(shared, &method, &path, &body);
    }
    if host != VAULT_HOST {
        return kv_error(StatusCode::NOT_FOUND, "NotFound", "unknown host");
    }
    let mut state = shared.lock();
    state.counters.vault_requests += 1;
    if let Some((left, seconds)) = state.throttle {
        state.throttle = (left > 1).then_some((left - 1, seconds));
        state.counters.throttled += 1;
        let mut response = kv_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Throttled",
            "Request was not processed because too many requests were received. Reason: A secret operation limit has been exceeded.",
        );
        response
            .headers_mut()
            .insert(hyper::header::RETRY_AFTER, seconds.into());
        return response;
    }
    let challenge = || {
        let mut response = kv_error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token.",
        );
        response.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_str(&format!(
                "Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"{RESOURCE}\""
            ))
            .expect("header value"),
        );
        response
    };
    match authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        None => {
            state.counters.challenges += 1;
            return challenge();
        }
        Some(token) if !state.tokens.contains(token) => {
            state.counters.bad_tokens += 1;
            let mut response = challenge();
            *response.body_mut() = Full::new(Bytes::from(
                json!({ "error": { "code": "Unauthorized", "message": "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/..., found https://sts.windows.net/unknown/." } }).to_string(),
            ));
            return response;
        }
        Some(_) => {}
    }
    let Some(api_version) = query.get("api-version").cloned() else {
        return bad_parameter(
            "The request URI contains an invalid or missing api-version query parameter.",
        );
    };
    if !state.counters.api_versions.contains(&api_version) {
        state.counters.api_versions.push(api_version);
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let vault_url = &shared.vault_url;
    match (&method, segments.as_slice()) {
        (&Method::GET, ["secrets"]) => list_secrets(&state, vault_url, &query),
        (&Method::GET, ["secrets", name, "versions"]) => {
            list_versions(&state, vault_url, name, &query)
        }
        (&Method::PUT, ["secrets", name]) => set_secret(&mut state, vault_url, name, &body),
        (&Method::GET, ["secrets", name]) => get_secret(&state, vault_url, name, None),
        (&Method::GET, ["secrets", name, version]) => get_secret(
            &state,
            vault_url,
            name,
            Some(version).filter(|v| !v.is_empty()).copied(),
        ),
        (&Method::PATCH, ["secrets", name]) => {
            update_secret(&mut state, vault_url, name, None, &body)
        }
        (&Method::PATCH, ["secrets", name, version]) => update_secret(
            &mut state,
            vault_url,
            name,
            Some(version).filter(|v| !v.is_empty()).copied(),
            &body,
        ),
        (&Method::DELETE, ["secrets", name]) => delete_secret(&mut state, vault_url, name),
        (&Method::GET, ["deletedsecrets", name]) => get_deleted(&state, vault_url, name),
        (&Method::POST, ["deletedsecrets", name, "recover"]) => {
            recover(&mut state, vault_url, name)
        }
        (&Method::DELETE, ["deletedsecrets", name]) => purge(&mut state, name),
        _ => kv_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
        ),
    }
}

fn token_endpoint(shared: &Shared, method: &Method, path: &str, body: &Bytes) -> Reply {
    let mut state = shared.lock();
    let form = query_pairs(std::str::from_utf8(body).unwrap_or(""));
    let field = |key: &str| form.get(key).map(String::as_str);
    let scope = format!("{RESOURCE}/.default");
    // Entra ID's refusals, in the order it checks: the first that applies answers.
    let refusals = [
        (
            method != Method::POST || path != format!("/{TENANT}/oauth2/v2.0/token"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            "Tenant not found.",
        ),
        (
            field("grant_type") != Some("client_credentials"),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ),
        (
            field("client_id") != Some(CLIENT_ID),
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        ),
        (
            field("client_secret") != Some(CLIENT_SECRET),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        ),
        (
            field("scope") != Some(&scope),
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid.",
        ),
    ];
    if let Some((_, status, error, code, text)) = refusals.into_iter().find(|r| r.0) {
        state.counters.token_refusals += 1;
        return reply(
            status,
            json!({
                "error": error,
                "error_description": format!("AADSTS{code}: {text}"),
                "error_codes": [code],
                "timestamp": "2026-01-01 00:00:00Z",
                "trace_id": random_hex(16),
                "correlation_id": random_hex(16),
            }),
        );
    }
    let token = random_hex(32);
    state.tokens.insert(token.clone());
    state.counters.tokens_issued += 1;
    reply(
        StatusCode::OK,
        json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token }),
    )
}
