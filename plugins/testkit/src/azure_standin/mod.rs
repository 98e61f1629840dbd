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
//!
//! Its state is in `store`, its router and token endpoint in `http`, the
//! JSON shapes in `json` and the secrets operations in `secrets`.

mod http;
mod json;
mod secrets;
mod store;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use store::{State, StoredVersion};

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

/// The state the server and the test share.
struct Shared {
    state: Mutex<State>,
    /// `https://<VAULT_HOST>:<port>`.
    vault_url: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("the stand-in's state lock")
    }
}

/// A running stand-in; the server stops when the test's runtime ends.
pub struct StandIn {
    addr: SocketAddr,
    ca_der: Vec<u8>,
    shared: Arc<Shared>,
}

impl StandIn {
    /// Starts the stand-in on 127.0.0.1 and an ephemeral port.
    pub async fn start() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Tenure stand-in CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let mut leaf_params =
            rcgen::CertificateParams::new(vec![VAULT_HOST.to_owned(), LOGIN_HOST.to_owned()])
                .expect("leaf params");
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("leaf certificate");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca_cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .expect("TLS config");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(tls));

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
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
                        async move { Ok::<_, Infallible>(http::handle(&shared, req).await) }
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
            .tls_certs_only([reqwest::Certificate::from_der(&self.ca_der).expect("CA certificate")])
            .resolve(VAULT_HOST, self.addr)
            .resolve(LOGIN_HOST, self.addr)
            .build()
            .expect("HTTP client")
    }

    /// What was counted so far.
    pub fn counters(&self) -> Counters {
        self.shared.lock().counters.clone()
    }

    /// Answers the next `count` vault requests with 429 and `Retry-After: seconds`.
    pub fn throttle(&self, count: usize, seconds: u64) {
        self.shared.lock().throttle = Some((count, seconds));
    }

    /// Stores a secret directly (not through the API), as another client would.
    pub fn seed(&self, name: &str, value: &str) {
        self.seed_with(name, value, None, None);
    }

    /// Stores a secret directly with `exp` and `nbf` (Unix seconds).
    pub fn seed_with(&self, name: &str, value: &str, exp: Option<i64>, nbf: Option<i64>) {
        let version = StoredVersion {
            exp,
            nbf,
            ..StoredVersion::new(value)
        };
        self.shared.lock().push_version(name, version);
    }

    /// `(enabled, exp, nbf)` of every version of `name`, oldest first.
    pub fn attributes(&self, name: &str) -> Vec<(String, bool, Option<i64>, Option<i64>)> {
        let state = self.shared.lock();
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
