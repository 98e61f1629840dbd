//! Signing in and out. The sign-in form takes an operator's token (a
//! `[[server.operators]]` token, `server.admin_token`, or an OIDC token),
//! checked by the admin API's own [`Authenticator`](crate::server::auth::Authenticator);
//! the actor it proves opens a session. Before there is a session, the
//! form's CSRF token is a random value in a short-lived cookie of its own
//! that the hidden field must repeat (so no other site can sign a browser
//! in under another identity). Sign-out ends the session on the server.

use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use tracing::{info, warn};

use super::layout;
use super::session::{COOKIE, Posted, SIGNIN_COOKIE, cookie, random_token, same};
use crate::server::AppState;
use crate::server::auth::Refusal;

/// How long the sign-in form stays valid.
const FORM_LIFETIME: Duration = Duration::from_secs(10 * 60);

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for value in cookies {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The sign-in page with a fresh form token, and `problem` if the last try failed.
fn form_page(app: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let token = match random_token() {
        Ok(token) => token,
        Err(err) => {
            return layout::message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                &format!("no randomness for the form: {err}"),
            );
        }
    };
    let on = app.inner.auth.is_on();
    let page = layout::bare(
        "Sign in",
        html! {
            h1 { "Sign in" }
            @if !on {
                p.error { "Sign-in is off: no operator is configured. Set server.operators, server.admin_token or server.oidc." }
            }
            @if let Some(problem) = problem {
                p.error role="alert" { (problem) }
            }
            form method="post" action="/ui/signin" {
                input type="hidden" name="csrf" value=(token);
                label for="token" { "Operator token" }
                input #token type="password" name="token" autocomplete="off" required;
                p.muted { "The same token the admin API takes: a named operator's, the admin token, or an OIDC token. Your role decides what you may do here." }
                button.primary type="submit" { "Sign in" }
            }
        },
    );
    let cookie = app
        .inner
        .console
        .sessions
        .cookie(SIGNIN_COOKIE, &token, FORM_LIFETIME);
    with_cookies(layout::respond(status, page), &[cookie])
}

/// `GET /ui/signin`.
pub async fn form(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if app.inner.console.sessions.of(&headers).is_some() {
        return layout::redirect("/ui/");
    }
    form_page(&app, StatusCode::OK, None)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    token: Option<String>,
    csrf: Option<String>,
}

/// `POST /ui/signin`.
pub async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let expected = cookie(&headers, SIGNIN_COOKIE);
    let form = form.ok().map(|Form(form)| form);
    let fresh = match (&form, expected) {
        (
            Some(SignInForm {
                csrf: Some(csrf), ..
            }),
            Some(expected),
        ) => same(csrf, expected),
        _ => false,
    };
    if !fresh {
        warn!("Refused a console sign-in without the form's CSRF token.");
        return form_page(
            &app,
            StatusCode::FORBIDDEN,
            Some("This form expired or did not come from this page. Try again."),
        );
    }
    let token = form.and_then(|f| f.token);
    match app.inner.auth.authenticate_token(token.as_deref()).await {
        Ok(actor) => {
            let sessions = &app.inner.console.sessions;
            let id = match sessions.open(actor.clone()) {
                Ok(id) => id,
                Err(err) => {
                    return layout::message(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Sign-in unavailable",
                        &format!("no randomness for the session: {err}"),
                    );
                }
            };
            info!(actor = %actor.name, role = %actor.role, "Operator {} signed in to the console.", actor.name);
            with_cookies(
                layout::redirect("/ui/"),
                &[
                    sessions.session_cookie(&id),
                    sessions.cookie(SIGNIN_COOKIE, "", Duration::ZERO),
                ],
            )
        }
        Err(Refusal::Off) => form_page(&app, StatusCode::NOT_FOUND, None),
        Err(_) => {
            warn!("Refused a console sign-in: the token proves no operator.");
            form_page(
                &app,
                StatusCode::UNAUTHORIZED,
                Some("That token is not accepted."),
            )
        }
    }
}

/// `POST /ui/signout`: ends the session.
pub async fn signout(State(app): State<AppState>, posted: Posted) -> Response {
    let sessions = &app.inner.console.sessions;
    sessions.close(&posted.session.id);
    info!(actor = %posted.session.actor.name, "Operator {} signed out of the console.", posted.session.actor.name);
    with_cookies(
        layout::redirect("/ui/signin"),
        &[sessions.cookie(COOKIE, "", Duration::ZERO)],
    )
}
