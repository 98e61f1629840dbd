//! The console's page shell (head, navigation, sign-out form), its one
//! stylesheet (embedded, served from `/ui/static/console.css`), and the
//! small pieces every page uses: badges, times, links to a secret, the
//! hidden CSRF field. Every answer carries a strict Content-Security-Policy
//! (no script, styles only from the stylesheet) and `Cache-Control: no-store`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::session::SignedIn;

/// The stylesheet, in the binary.
const STYLESHEET: &str = include_str!("console.css");

/// The console's pages, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// `/ui/`.
    Overview,
    /// `/ui/secrets`.
    Secrets,
    /// `/ui/orphans`.
    Orphans,
    /// `/ui/approvals`.
    Approvals,
    /// `/ui/audit`.
    Audit,
}

const TABS: [(Tab, &str, &str); 5] = [
    (Tab::Overview, "/ui/", "Overview"),
    (Tab::Secrets, "/ui/secrets", "Secrets"),
    (Tab::Orphans, "/ui/orphans", "Orphans & unmanaged"),
    (Tab::Approvals, "/ui/approvals", "Approvals"),
    (Tab::Audit, "/ui/audit", "Audit trail"),
];

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// An HTML answer with the console's headers.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// 303 See Other to `to`.
pub fn redirect(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /ui`: to the overview.
pub async fn to_overview() -> Response {
    redirect("/ui/")
}

/// `GET /ui/static/console.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        STYLESHEET,
    )
        .into_response()
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · Tenure" }
            link rel="stylesheet" href="/ui/static/console.css";
        }
    }
}

/// A page outside a session (sign-in, refusals).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                main.narrow {
                    p.brand { "Tenure" }
                    (body)
                }
            }
        }
    }
}

/// A message page (refusals, errors) with `status`.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    respond(
        status,
        bare(
            title,
            html! {
                h1 { (title) }
                p { (text) }
                p { a href="/ui/" { "Back to the console" } }
            },
        ),
    )
}

/// The hidden CSRF field of a form.
pub fn csrf(who: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}

/// A page of the console for the signed-in operator.
pub fn page(who: &SignedIn, current: Tab, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/ui/" { "Tenure" }
                    nav {
                        @for (tab, href, label) in TABS {
                            @if tab == current {
                                a.current href=(href) aria-current="page" { (label) }
                            } @else {
                                a href=(href) { (label) }
                            }
                        }
                    }
                    form.signout method="post" action="/ui/signout" {
                        span.who { (who.actor.name) " · " (who.actor.role) }
                        (csrf(who))
                        button type="submit" { "Sign out" }
                    }
                }
                main {
                    @if let Some(flash) = &who.flash {
                        p.flash role="status" { (flash) }
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    respond(StatusCode::OK, markup)
}

/// The colour class of a word (`good`, `warn`, `bad`, `plain`).
pub fn tone(word: &str) -> &'static str {
    match word {
        "compliant" | "active" | "ok" | "approved" | "used" | "disabled" => "good",
        "rotate" | "rotating" | "narrow" | "retire" | "pending" | "pending_approval"
        | "unavailable" | "found" | "stale" => "warn",
        "revoke" | "revoked" | "escalate" | "drift" | "quarantined" | "rejected" | "expired" => {
            "bad"
        }
        _ => "plain",
    }
}

/// A word as a coloured badge (`decision`, `status`, attestation result).
pub fn badge(word: &str) -> Markup {
    html! { span class={ "badge " (tone(word)) } { (word) } }
}

/// A duration in seconds, in its largest sensible unit.
pub fn seconds(s: i64) -> String {
    match s {
        ..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{:.1} h", s as f64 / 3600.0),
        _ => format!("{:.1} d", s as f64 / 86_400.0),
    }
}

/// An RFC 3339 time, shorter: `2026-12-01 04:54 UTC`.
pub fn when(stamp: &str) -> String {
    match stamp.get(..16) {
        Some(minutes) if stamp.len() >= 20 => format!("{} UTC", minutes.replacen('T', " ", 1)),
        _ => stamp.to_owned(),
    }
}

/// An optional time, or a dash.
pub fn when_or_dash(stamp: Option<&str>) -> String {
    stamp.map_or_else(|| "—".to_owned(), when)
}

/// What a path segment escapes: all but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The date of an optional RFC 3339 time, or a dash.
pub fn day_or_dash(stamp: Option<&str>) -> &str {
    stamp.and_then(|s| s.get(..10)).unwrap_or("—")
}

/// The console's path of a secret's page.
pub fn secret_href(address: &str) -> String {
    format!("/ui/secrets/{}", utf8_percent_encode(address, SEGMENT))
}

/// A link to a secret's page.
pub fn secret_link(address: &str) -> Markup {
    html! { a.mono href=(secret_href(address)) { (address) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shortened_and_addresses_encoded() {
        assert_eq!(when("2026-12-01T04:54:13Z"), "2026-12-01 04:54 UTC");
        assert_eq!(when("soon"), "soon");
        assert_eq!(when_or_dash(None), "—");
        assert_eq!(day_or_dash(Some("2026-12-01T04:54:13Z")), "2026-12-01");
        assert_eq!(
            [seconds(3), seconds(600), seconds(5400), seconds(172_800)],
            ["3 s", "10 min", "1.5 h", "2.0 d"]
        );
        assert_eq!(
            secret_href("local:legacy/ftp-password v2"),
            "/ui/secrets/local%3Alegacy%2Fftp-password%20v2"
        );
    }

    #[test]
    fn markup_is_escaped() {
        let html = secret_link("local:<script>").into_string();
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
