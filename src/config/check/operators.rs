//! `[[server.operators]]`, `server.admin_token` (the short form of an
//! operator named `admin`) and `[server.oidc]`: names and roles, one token
//! source per operator, and where the identity provider's keys come from.

use std::collections::HashMap;
use std::path::Path;

use serde_spanned::Spanned;
use tenure_plugin_api::SecretSource;

use super::Checker;
use crate::config::raw::{RawJwks, RawOidc, RawOperator};
use crate::config::{JwksSource, OidcConfig, OperatorConfig};
use crate::server::auth::Role;

/// The operator `server.admin_token` stands for.
pub const ADMIN_TOKEN_OPERATOR: &str = "admin";

/// Where each name and each token source was first defined.
#[derive(Default)]
struct Seen {
    names: HashMap<String, String>,
    sources: Vec<(SecretSource, String)>,
}

/// The operators: `admin_token` first (as the operator `admin`), then each
/// `[[server.operators]]` entry; a bad entry is reported and left out.
pub fn check_operators(
    check: &mut Checker<'_>,
    file: usize,
    admin_token: Option<(SecretSource, String)>,
    raw: Vec<Spanned<RawOperator>>,
    base: &Path,
) -> Vec<OperatorConfig> {
    let mut seen = Seen::default();
    let mut operators = Vec::new();
    if let Some((token, at)) = admin_token {
        let key = "server.admin_token".to_owned();
        seen.names
            .insert(ADMIN_TOKEN_OPERATOR.to_owned(), key.clone());
        seen.sources.push((token.clone(), key.clone()));
        operators.push(OperatorConfig {
            name: ADMIN_TOKEN_OPERATOR.to_owned(),
            role: Role::Admin,
            token,
            key,
            at,
        });
    }
    for (index, entry) in raw.into_iter().enumerate() {
        let at = check.location(file, entry.span().start);
        let key = format!("server.operators[{index}]");
        let entry = entry.into_inner();
        let name = checked_name(check, file, &key, &entry.name, &mut seen);
        let role = match entry.role.get_ref().parse::<Role>() {
            Ok(role) => Some(role),
            Err(err) => {
                check.report_in(
                    file,
                    entry.role.span(),
                    format!("{key}.role"),
                    err.to_string(),
                );
                None
            }
        };
        let mut token = entry.token.get_ref().clone();
        token.rebase(base);
        let token_key = format!("{key}.token");
        if let Some((_, first)) = seen.sources.iter().find(|(source, _)| *source == token) {
            let message = format!("the same token source as {first}; every operator needs its own");
            check.report_in(file, entry.token.span(), &token_key, message);
            continue;
        }
        seen.sources.push((token.clone(), token_key.clone()));
        if let (Some(name), Some(role)) = (name, role) {
            operators.push(OperatorConfig {
                name,
                role,
                token,
                key: token_key,
                at,
            });
        }
    }
    operators
}

/// The operator's name, when it is usable and new.
fn checked_name(
    check: &mut Checker<'_>,
    file: usize,
    key: &str,
    name: &Spanned<String>,
    seen: &mut Seen,
) -> Option<String> {
    let text = name.get_ref();
    let problem = if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("must be a non-empty name without spaces".to_owned())
    } else if text.starts_with("cli:") {
        Some("names starting with `cli:` are the command line's".to_owned())
    } else {
        seen.names
            .get(text)
            .map(|first| format!("duplicate operator {text:?} (first defined at {first})"))
    };
    if let Some(message) = problem {
        check.report_in(file, name.span(), format!("{key}.name"), message);
        return None;
    }
    seen.names.insert(text.clone(), key.to_owned());
    Some(text.clone())
}

/// `[server.oidc]`, when every field is usable.
pub fn check_oidc(
    check: &mut Checker<'_>,
    file: usize,
    raw: Spanned<RawOidc>,
    base: &Path,
) -> Option<OidcConfig> {
    let at = check.location(file, raw.span().start);
    let raw = raw.into_inner();
    let before = check.count();
    for (field, value) in [
        ("issuer", &raw.issuer),
        ("audience", &raw.audience),
        ("role_claim", &raw.role_claim),
    ]
    .into_iter()
    .chain(raw.name_claim.as_ref().map(|n| ("name_claim", n)))
    {
        if value.get_ref().trim().is_empty() {
            check.report_in(
                file,
                value.span(),
                format!("server.oidc.{field}"),
                "must not be empty",
            );
        }
    }
    let jwks = check_jwks(check, file, raw.jwks, base);
    if check.count() > before {
        return None;
    }
    Some(OidcConfig {
        issuer: raw.issuer.into_inner(),
        audience: raw.audience.into_inner(),
        jwks: jwks?,
        role_claim: raw.role_claim.into_inner(),
        name_claim: raw
            .name_claim
            .map_or_else(|| "sub".to_owned(), Spanned::into_inner),
        at,
    })
}

fn check_jwks(
    check: &mut Checker<'_>,
    file: usize,
    raw: Spanned<RawJwks>,
    base: &Path,
) -> Option<JwksSource> {
    let span = raw.span();
    match raw.into_inner() {
        RawJwks {
            url: Some(url),
            file: None,
        } => match jwks_url(url.get_ref()) {
            Ok(()) => Some(JwksSource::Url(url.into_inner())),
            Err(message) => {
                check.report_in(file, url.span(), "server.oidc.jwks.url", message);
                None
            }
        },
        RawJwks {
            url: None,
            file: Some(path),
        } => Some(JwksSource::File(crate::config::resolve(
            base,
            path.get_ref(),
        ))),
        _ => {
            let message =
                "expected exactly one of { url = \"https://...\" } or { file = \"path\" }";
            check.report_in(file, span, "server.oidc.jwks", message);
            None
        }
    }
}

/// An `https` URL, or `http` to a loopback address (a local test IdP).
fn jwks_url(text: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|err| format!("not a URL: {err}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must be an https URL (plain http only to a loopback address)".to_owned()),
    }
}
