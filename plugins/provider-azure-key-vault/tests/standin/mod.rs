//! A stand-in for Azure Key Vault's secrets REST API and for Entra ID's
//! token endpoint, served over HTTPS on 127.0.0.1 (an ephemeral port), so
//! the provider is tested through the real SDK, its challenge-based bearer
//! auth, its retry policy and pager, and azure_identity's
//! `ClientSecretCredential`.
//!
//! One server answers two host names, told apart by the `Host` header:
//! [`VAULT_HOST`] (the vault) and [`LOGIN_HOST`] (the authority). Its
//! certificate is issued by a CA made for the run; [`StandIn::http_client`]
//! trusts only that CA and resolves both names to 127.0.0.1.
//!
//! What it implements, after Microsoft's REST reference for Key Vault
//! secrets (any `api-version` is accepted, a request without one is a 400):
//! - `PUT /secrets/{name}`, `GET /secrets/{name}[/{version}]`,
//!   `PATCH /secrets/{name}[/{version}]`, `DELETE /secrets/{name}` (soft
//!   delete), `GET /secrets` and `GET /secrets/{name}/versions` with
//!   `maxresults` (1 to 25) and `nextLink` paging, `GET /deletedsecrets/{name}`,
//!   `POST /deletedsecrets/{name}/recover`, `DELETE /deletedsecrets/{name}`
//!   (purge); versions are listed in the order of their ids (as the service
//!   does), "latest" is the most recently written;
//! - attributes `enabled`, `exp`, `nbf`, `created`, `updated` (Unix
//!   seconds), `recoveryLevel`, `recoverableDays`; tags (at most 15);
//!   `contentType`; 32-hex version ids; ids `https://<vault>/secrets/<name>/<version>`;
//!   names of 1 to 127 letters, digits and `-`, compared without case;
//! - errors in the service's shape `{"error":{"code":..,"message":..}}`:
//!   404 `SecretNotFound`, 403 `Forbidden` for reading a disabled version,
//!   409 `Conflict` for writing a name that is deleted but recoverable,
//!   400 `BadParameter`;
//! - auth: no `Authorization` is a 401 with the challenge
//!   `Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"`,
//!   a token the stand-in did not issue is a 401 too;
//! - the token endpoint `POST /<tenant>/oauth2/v2.0/token` (client
//!   credentials grant, scope `https://vault.azure.net/.default`);
//! - a switch that answers the next N vault requests with 429 and `Retry-After`.

// A refusal is a whole response; a test server need not box it.
#![allow(dead_code, clippy::unwrap_used, clippy::result_large_err)]

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The vault's host name.
pub const VAULT_HOST: &str = "tenure-test.vault.azure.net";
/// The authority's host name.
pub const LOGIN_HOST: &str = "login.tenure-test.test";
/// The tenant the stand-in's token endpoint serves.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The client id it accepts.
pub const CLIENT_ID: &str = "0b2a8f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
/// The client secret it accepts.
pub const CLIENT_SECRET: &str = "stand-in-client-secret-7Q~x";
/// The audience Key Vault tokens are for.
const RESOURCE: &str = "https://vault.azure.net";
/// Key Vault's largest secret value.
const MAX_VALUE: usize = 25 * 1024;

/// What the stand-in counted.
#[derive(Debug, Default, Clone)]
pub struct Counters {
    /// 401 challenges sent to requests without `Authorization`.
    pub challenges: usize,
    /// Requests refused for a token the stand-in did not issue.
    pub bad_tokens: usize,
    /// Tokens issued.
    pub tokens_issued: usize,
    /// Token requests refused.
    pub token_refusals: usize,
    /// 429 answers sent.
    pub throttled: usize,
    /// Vault requests answered (any status).
    pub vault_requests: usize,
    /// `api-version` values seen.
    pub api_versions: Vec<String>,
}

#[derive(Debug, Clone)]
struct StoredVersion {
    id: String,
    value: String,
    content_type: Option<String>,
    enabled: bool,
    exp: Option<i64>,
    nbf: Option<i64>,
    created: i64,
    updated: i64,
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct StoredSecret {
    /// The name as first written.
    name: String,
    /// Oldest first.
    versions: Vec<StoredVersion>,
    deleted: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    /// By lowercase name.
    secrets: BTreeMap<String, StoredSecret>,
    tokens: HashSet<String>,
    throttle: Option<(usize, u64)>,
    counters: Counters,
}

struct Shared {
    state: Mutex<State>,
    /// `https://<VAULT_HOST>:<port>`.
    vault_url: String,
}

/// A running stand-in; the server stops when the test's runtime ends.
pub struct StandIn {
    addr: SocketAddr,
    ca_der: Vec<u8>,
    shared: Arc<Shared>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    tenure_plugin_api::random::fill(&mut buf).unwrap();
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn valid_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl StandIn {
    /// Starts the stand-in on 127.0.0.1 and an ephemeral port.
    pub async fn start() -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Tenure stand-in CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let mut leaf_params =
            rcgen::CertificateParams::new(vec![VAULT_HOST.to_owned(), LOGIN_HOST.to_owned()])
                .unwrap();
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(tls));

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            vault_url: format!("https://{VAULT_HOST}:{}", addr.port()),
        });
        let server = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let shared = Arc::clone(&server);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, Infallible>(handle(&shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            ca_der: ca_cert.der().to_vec(),
            shared,
        }
    }

    /// `https://tenure-test.vault.azure.net:<port>`.
    pub fn vault_url(&self) -> String {
        self.shared.vault_url.clone()
    }

    /// `https://login.tenure-test.test:<port>`, the authority host.
    pub fn authority(&self) -> String {
        format!("https://{LOGIN_HOST}:{}", self.addr.port())
    }

    /// An HTTP client that trusts only the stand-in's CA and resolves both
    /// its names to it.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_der(&self.ca_der).unwrap()])
            .resolve(VAULT_HOST, self.addr)
            .resolve(LOGIN_HOST, self.addr)
            .build()
            .unwrap()
    }

    /// What was counted so far.
    pub fn counters(&self) -> Counters {
        self.shared.state.lock().unwrap().counters.clone()
    }

    /// Answers the next `count` vault requests with 429 and `Retry-After: seconds`.
    pub fn throttle(&self, count: usize, seconds: u64) {
        self.shared.state.lock().unwrap().throttle = Some((count, seconds));
    }

    /// Stores a secret directly (not through the API), as another client would.
    pub fn seed(&self, name: &str, value: &str) {
        self.seed_with(name, value, None, None);
    }

    /// Stores a secret directly with `exp` and `nbf` (Unix seconds).
    pub fn seed_with(&self, name: &str, value: &str, exp: Option<i64>, nbf: Option<i64>) {
        let mut state = self.shared.state.lock().unwrap();
        let t = now();
        let entry = state
            .secrets
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| StoredSecret {
                name: name.to_owned(),
                versions: Vec::new(),
                deleted: None,
            });
        entry.versions.push(StoredVersion {
            id: random_hex(16),
            value: value.to_owned(),
            content_type: None,
            enabled: true,
            exp,
            nbf,
            created: t,
            updated: t,
            tags: BTreeMap::new(),
        });
    }

    /// `(enabled, exp, nbf)` of every version of `name`, oldest first.
    pub fn attributes(&self, name: &str) -> Vec<(String, bool, Option<i64>, Option<i64>)> {
        let state = self.shared.state.lock().unwrap();
        state
            .secrets
            .get(&name.to_ascii_lowercase())
            .map(|s| {
                s.versions
                    .iter()
                    .map(|v| (v.id.clone(), v.enabled, v.exp, v.nbf))
                    .collect()
            })
            .unwrap_or_default()
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, body: Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn kv_error(status: StatusCode, code: &str, message: &str) -> Reply {
    reply(
        status,
        json!({ "error": { "code": code, "message": message } }),
    )
}

fn not_found(what: &str) -> Reply {
    kv_error(
        StatusCode::NOT_FOUND,
        "SecretNotFound",
        &format!(
            "A secret with (name/id) {what} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    )
}

fn bad_parameter(message: &str) -> Reply {
    kv_error(StatusCode::BAD_REQUEST, "BadParameter", message)
}

fn query_pairs(query: &str) -> BTreeMap<String, String> {
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

async fn handle(shared: &Shared, req: Request<Incoming>) -> Reply {
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
    let mut state = shared.state.lock().unwrap();
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
            .unwrap(),
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
    let mut state = shared.state.lock().unwrap();
    let refuse = |state: &mut State, status: StatusCode, error: &str, code: u32, text: &str| {
        state.counters.token_refusals += 1;
        reply(
            status,
            json!({
                "error": error,
                "error_description": format!("AADSTS{code}: {text}"),
                "error_codes": [code],
                "timestamp": "2026-01-01 00:00:00Z",
                "trace_id": random_hex(16),
                "correlation_id": random_hex(16),
            }),
        )
    };
    if method != Method::POST || path != format!("/{TENANT}/oauth2/v2.0/token") {
        return refuse(
            &mut state,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            "Tenant not found.",
        );
    }
    let form = query_pairs(std::str::from_utf8(body).unwrap_or(""));
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return refuse(
            &mut state,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return refuse(
            &mut state,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            "Application was not found in the directory.",
        );
    }
    if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return refuse(
            &mut state,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided.",
        );
    }
    if form.get("scope").map(String::as_str) != Some(&format!("{RESOURCE}/.default")) {
        return refuse(
            &mut state,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            "The provided value for scope is not valid.",
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

fn attributes_json(v: &StoredVersion) -> Value {
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

fn properties_json(vault_url: &str, name: &str, v: &StoredVersion, with_version: bool) -> Value {
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

fn bundle(vault_url: &str, name: &str, v: &StoredVersion, with_value: bool) -> Value {
    let mut item = properties_json(vault_url, name, v, true);
    if with_value {
        item["value"] = json!(v.value);
    }
    item
}

fn page(vault_url: &str, path: &str, items: Vec<Value>, query: &BTreeMap<String, String>) -> Reply {
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

fn list_secrets(state: &State, vault_url: &str, query: &BTreeMap<String, String>) -> Reply {
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

fn live<'a>(state: &'a State, name: &str) -> Option<&'a StoredSecret> {
    state
        .secrets
        .get(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_none())
}

fn list_versions(
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

fn get_secret(state: &State, vault_url: &str, name: &str, version: Option<&str>) -> Reply {
    let Some(secret) = live(state, name) else {
        return not_found(name);
    };
    let found = match version {
        None => secret.versions.last(),
        Some(id) => secret
            .versions
            .iter()
            .find(|v| v.id.eq_ignore_ascii_case(id)),
    };
    let Some(v) = found else {
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

fn parse_body(body: &Bytes) -> Result<Value, Reply> {
    if body.is_empty() {
        return Err(bad_parameter("The request body is empty."));
    }
    serde_json::from_slice(body).map_err(|_| bad_parameter("The request body is not valid JSON."))
}

fn tags_of(value: &Value) -> Result<Option<BTreeMap<String, String>>, Reply> {
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
fn apply_attributes(v: &mut StoredVersion, body: &Value) -> Result<(), Reply> {
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

fn set_secret(state: &mut State, vault_url: &str, name: &str, body: &Bytes) -> Reply {
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
    let key = name.to_ascii_lowercase();
    if state.secrets.get(&key).is_some_and(|s| s.deleted.is_some()) {
        return kv_error(
            StatusCode::CONFLICT,
            "Conflict",
            &format!(
                "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."
            ),
        );
    }
    let t = now();
    let mut version = StoredVersion {
        id: random_hex(16),
        value: value.to_owned(),
        content_type: body
            .get("contentType")
            .and_then(Value::as_str)
            .map(str::to_owned),
        enabled: true,
        exp: None,
        nbf: None,
        created: t,
        updated: t,
        tags,
    };
    if let Err(r) = apply_attributes(&mut version, &body) {
        return r;
    }
    let secret = state.secrets.entry(key).or_insert_with(|| StoredSecret {
        name: name.to_owned(),
        versions: Vec::new(),
        deleted: None,
    });
    secret.versions.push(version);
    let stored_name = secret.name.clone();
    let v = secret.versions.last().unwrap();
    reply(StatusCode::OK, bundle(vault_url, &stored_name, v, true))
}

fn update_secret(
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
    let Some(secret) = state
        .secrets
        .get_mut(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_none())
    else {
        return not_found(name);
    };
    let stored_name = secret.name.clone();
    let found = match version {
        None => secret.versions.last_mut(),
        Some(id) => secret
            .versions
            .iter_mut()
            .find(|v| v.id.eq_ignore_ascii_case(id)),
    };
    let Some(v) = found else {
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

fn deleted_json(vault_url: &str, secret: &StoredSecret) -> Value {
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

fn delete_secret(state: &mut State, vault_url: &str, name: &str) -> Reply {
    let Some(secret) = state
        .secrets
        .get_mut(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_none())
    else {
        return not_found(name);
    };
    secret.deleted = Some(now());
    reply(StatusCode::OK, deleted_json(vault_url, secret))
}

fn get_deleted(state: &State, vault_url: &str, name: &str) -> Reply {
    match state
        .secrets
        .get(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_some())
    {
        Some(secret) => reply(StatusCode::OK, deleted_json(vault_url, secret)),
        None => not_found(name),
    }
}

fn recover(state: &mut State, vault_url: &str, name: &str) -> Reply {
    let Some(secret) = state
        .secrets
        .get_mut(&name.to_ascii_lowercase())
        .filter(|s| s.deleted.is_some())
    else {
        return not_found(name);
    };
    secret.deleted = None;
    match secret.versions.last() {
        Some(v) => reply(StatusCode::OK, bundle(vault_url, &secret.name, v, false)),
        None => not_found(name),
    }
}

fn purge(state: &mut State, name: &str) -> Reply {
    let key = name.to_ascii_lowercase();
    if state.secrets.get(&key).is_none_or(|s| s.deleted.is_none()) {
        return not_found(name);
    }
    state.secrets.remove(&key);
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
