//! Console sessions and CSRF: a signed-in operator holds a random session
//! id in an HttpOnly, SameSite=Strict cookie (Secure with TLS, Path=/ui);
//! the server keeps, per id (as its SHA-256), the [`Actor`], a per-session
//! CSRF token and the session's times. Sessions live in this process's
//! memory: a restart signs everyone out, and with several replicas behind a
//! balancer a session is only known to the replica that opened it.
//!
//! [`SignedIn`] is the extractor of every page: no session, a 303 to the
//! sign-in page. [`Posted`] is the extractor of every form: the session,
//! and the form's `csrf` field equal to the session's token, else 403 and
//! nothing runs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::layout;
use crate::server::AppState;
use crate::server::auth::Actor;

/// The session cookie's name.
pub const COOKIE: &str = "tenure_console";
/// The sign-in form's own CSRF cookie (before there is a session).
pub const SIGNIN_COOKIE: &str = "tenure_signin";
/// A session unused this long ends.
const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, used or not.
const LIFETIME: Duration = Duration::from_secs(8 * 60 * 60);
/// Sessions held at once; beyond, the oldest ends.
const MAX_SESSIONS: usize = 1024;
/// The largest form the console reads.
const MAX_FORM_BYTES: usize = 16 * 1024;

struct Session {
    actor: Actor,
    csrf: String,
    opened: Instant,
    seen: Instant,
    flash: Option<String>,
}

impl Session {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.opened) < LIFETIME && now.duration_since(self.seen) < IDLE
    }
}

/// The session table of this process.
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
    secure: bool,
}

/// A random token of 32 bytes, hex.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Whether two tokens are equal, in constant time.
pub fn same(presented: &str, expected: &str) -> bool {
    presented.len() == expected.len() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Sessions {
    /// An empty table; `secure`: cookies only over HTTPS.
    pub fn new(secure: bool) -> Self {
        Self {
            table: Mutex::new(HashMap::new()),
            secure,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a session for `actor`; its id (the cookie's value).
    pub fn open(&self, actor: Actor) -> Result<String, getrandom::Error> {
        let id = random_token()?;
        let csrf = random_token()?;
        let now = Instant::now();
        let mut table = self.table();
        table.retain(|_, s| s.live(now));
        if table.len() >= MAX_SESSIONS
            && let Some(oldest) = table.iter().min_by_key(|(_, s)| s.opened).map(|(k, _)| *k)
        {
            table.remove(&oldest);
        }
        table.insert(
            key(&id),
            Session {
                actor,
                csrf,
                opened: now,
                seen: now,
                flash: None,
            },
        );
        Ok(id)
    }

    /// The live session `id`, marked as used now (its flash message taken).
    fn find(&self, id: &str) -> Option<SignedIn> {
        let now = Instant::now();
        let mut table = self.table();
        let key = key(id);
        let session = table.get_mut(&key)?;
        if !session.live(now) {
            table.remove(&key);
            return None;
        }
        session.seen = now;
        Some(SignedIn {
            id: id.to_owned(),
            actor: session.actor.clone(),
            csrf: session.csrf.clone(),
            flash: session.flash.take(),
        })
    }

    /// The live session the request's cookie names, if any.
    pub fn of(&self, headers: &HeaderMap) -> Option<SignedIn> {
        cookie(headers, COOKIE).and_then(|id| self.find(id))
    }

    /// Leaves a message for the session's next page.
    pub fn flash(&self, id: &str, message: String) {
        if let Some(session) = self.table().get_mut(&key(id)) {
            session.flash = Some(message);
        }
    }

    /// Ends session `id`.
    pub fn close(&self, id: &str) {
        self.table().remove(&key(id));
    }

    /// How many sessions are open (live or not yet swept).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().len()
    }

    /// A `Set-Cookie` value for cookie `name` = `value` under `/ui`
    /// (`max_age` 0 clears it).
    pub fn cookie(&self, name: &str, value: &str, max_age: Duration) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{name}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            max_age.as_secs()
        )
    }

    /// The session cookie of `id`.
    pub fn session_cookie(&self, id: &str) -> String {
        self.cookie(COOKIE, id, LIFETIME)
    }
}

/// The operator signed in to the console.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session id (the cookie's value).
    pub id: String,
    /// Who, with their role.
    pub actor: Actor,
    /// The session's CSRF token, for the hidden field of every form.
    pub csrf: String,
    /// A message left by the last form (approved, rejected, refused).
    pub flash: Option<String>,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        app.inner
            .console
            .sessions
            .of(&parts.headers)
            .ok_or_else(|| layout::redirect("/ui/signin"))
    }
}

/// A form posted within a session with the session's CSRF token.
pub struct Posted {
    /// The session.
    pub session: SignedIn,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let session = SignedIn::from_request_parts(&mut parts, app).await?;
        let refused = || {
            layout::message(
                StatusCode::FORBIDDEN,
                "Form refused",
                "This form did not carry this session's CSRF token, so nothing was changed. Reload the page and try again.",
            )
        };
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| refused())?;
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| refused())?;
        let presented = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
        if presented.is_some_and(|p| same(p, &session.csrf)) {
            Ok(Self { session })
        } else {
            tracing::warn!(actor = %session.actor.name, "Refused a console form without this session's CSRF token.");
            Err(refused())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::{Role, Via};

    fn actor() -> Actor {
        Actor {
            name: "april".to_owned(),
            role: Role::Approver,
            via: Via::Token,
        }
    }

    #[test]
    fn a_session_is_found_by_its_id_until_closed() {
        let sessions = Sessions::new(false);
        let id = sessions.open(actor()).expect("open");
        let found = sessions.find(&id).expect("found");
        assert_eq!(found.actor, actor());
        assert_eq!(found.csrf.len(), 64);
        assert!(sessions.find("not-an-id").is_none());
        sessions.flash(&id, "done".to_owned());
        assert_eq!(
            sessions.find(&id).expect("found").flash.as_deref(),
            Some("done")
        );
        assert_eq!(sessions.find(&id).expect("found").flash, None);
        sessions.close(&id);
        assert!(sessions.find(&id).is_none());
    }

    #[test]
    fn the_table_is_bounded() {
        let sessions = Sessions::new(false);
        for _ in 0..MAX_SESSIONS + 5 {
            sessions.open(actor()).expect("open");
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_with_tls() {
        let plain = Sessions::new(false).session_cookie("abc");
        assert_eq!(
            plain,
            "tenure_console=abc; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=28800"
        );
        assert!(
            Sessions::new(true)
                .session_cookie("abc")
                .ends_with("; Secure")
        );
    }

    #[test]
    fn the_cookie_header_is_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; tenure_console=xyz; b=2".parse().expect("value"),
        );
        assert_eq!(cookie(&headers, COOKIE), Some("xyz"));
        assert_eq!(cookie(&headers, SIGNIN_COOKIE), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
