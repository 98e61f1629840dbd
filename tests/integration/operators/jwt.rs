//! Test JWTs: signing keys made at test time with aws-lc-rs (EC P-256 for
//! ES256 through jsonwebtoken, RSA 2048 for RS256 signed directly), their
//! JWK Set, and a JWK Set server on 127.0.0.1 that counts its fetches.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://idp.test.invalid";
pub const AUDIENCE: &str = "tenure-admin";

enum Key {
    Ec(EncodingKey),
    Rsa(aws_lc_rs::rsa::KeyPair),
}

/// A signing key with its key id.
pub struct Signer {
    key: Key,
    pub kid: String,
    /// The public key as a JWK.
    pub jwk: Value,
}

impl Signer {
    /// A fresh P-256 key (ES256).
    pub fn ec(kid: &str) -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("ec key");
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).expect("jwk");
        jwk.common.key_id = Some(kid.to_owned());
        Self {
            key: Key::Ec(key),
            kid: kid.to_owned(),
            jwk: serde_json::to_value(jwk).expect("jwk json"),
        }
    }

    /// A fresh RSA 2048 key (RS256).
    pub fn rsa(kid: &str) -> Self {
        let pair =
            aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("rsa key");
        let public = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(
            aws_lc_rs::signature::KeyPair::public_key(&pair),
        );
        let jwk = json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&public.n),
            "e": URL_SAFE_NO_PAD.encode(&public.e),
        });
        Self {
            key: Key::Rsa(pair),
            kid: kid.to_owned(),
            jwk,
        }
    }

    /// A JWT of `claims` signed by this key, naming its own key id.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }

    /// A JWT of `claims` signed by this key, naming `kid`.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        match &self.key {
            Key::Ec(key) => {
                let mut header = Header::new(Algorithm::ES256);
                header.kid = Some(kid.to_owned());
                jsonwebtoken::encode(&header, claims, key).expect("sign")
            }
            Key::Rsa(pair) => {
                let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
                let input = format!("{}.{}", part(&header), part(claims));
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input.as_bytes(),
                    &mut signature,
                )
                .expect("rsa sign");
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
            }
        }
    }
}

fn part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

/// A JWK Set of `keys`.
pub fn jwks(keys: &[&Signer]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

/// Claims for `sub` with `roles`, valid from a minute ago for `lifetime` seconds.
pub fn claims(sub: &str, roles: Value, lifetime: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "roles": roles,
        "iat": now - 60, "nbf": now - 60, "exp": now + lifetime,
    })
}

/// A JWK Set served at `/jwks.json` on 127.0.0.1; what it serves can change.
pub struct JwksServer {
    pub url: String,
    pub set: Arc<Mutex<Value>>,
    pub fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start(set: Value) -> Self {
        let shared = Arc::new(Mutex::new(set));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (Arc::clone(&shared), Arc::clone(&fetches));
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let (served, counted) = (Arc::clone(&served), Arc::clone(&counted));
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    axum::Json(served.lock().expect("lock").clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            url,
            set: shared,
            fetches,
        }
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}
