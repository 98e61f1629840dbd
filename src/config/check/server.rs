//! `[server]`: the HTTP listener's address, limits, timeouts, tokens and TLS files.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_spanned::Spanned;
use tenure_plugin_api::SecretSource;

use super::Checker;
use crate::config::diagnostics::resolve;
use crate::config::document::Located;
use crate::config::raw::RawServer;
use crate::config::{ServerConfig, TlsFiles};

const DEFAULT_LISTEN: ([u8; 4], u16) = ([127, 0, 0, 1], 8787);

fn check_listen(
    check: &mut Checker<'_>,
    file: usize,
    listen: Option<Spanned<String>>,
) -> SocketAddr {
    let Some(text) = listen else {
        return SocketAddr::from(DEFAULT_LISTEN);
    };
    text.get_ref().parse::<SocketAddr>().unwrap_or_else(|err| {
        check.report_in(
            file,
            text.span(),
            "server.listen",
            format!("expected an address like 127.0.0.1:8787: {err}"),
        );
        SocketAddr::from(DEFAULT_LISTEN)
    })
}

/// A count within `range`, or `default` (reported when it was out of range).
fn bounded(
    check: &mut Checker<'_>,
    file: usize,
    value: Option<Spanned<usize>>,
    key: &str,
    range: RangeInclusive<usize>,
    default: usize,
) -> usize {
    value
        .and_then(|n| check.in_range(file, &n, key, range))
        .unwrap_or(default)
}

fn check_tls(
    check: &mut Checker<'_>,
    file: usize,
    cert: Option<Spanned<PathBuf>>,
    key: Option<Spanned<PathBuf>>,
    base: &Path,
) -> Option<TlsFiles> {
    match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: resolve(base, cert.get_ref()),
            key: resolve(base, key.get_ref()),
        }),
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => {
            check.report_in(
                file,
                one.span(),
                "server",
                "set both tls_cert and tls_key, or neither",
            );
            None
        }
    }
}

/// Checks `[server]`; relative paths resolve against `base`.
pub fn check_server(
    check: &mut Checker<'_>,
    located: Located<RawServer>,
    base: &Path,
) -> ServerConfig {
    let file = located.file;
    let raw = located.value;
    let listen = check_listen(check, file, raw.listen);
    let max_body_bytes = bounded(
        check,
        file,
        raw.max_body_bytes,
        "server.max_body_bytes",
        1024..=16 << 20,
        256 << 10,
    );
    let max_connections = bounded(
        check,
        file,
        raw.max_connections,
        "server.max_connections",
        1..=65_536,
        256,
    );
    let max_in_flight = bounded(
        check,
        file,
        raw.max_in_flight,
        "server.max_in_flight",
        1..=4096,
        32,
    );
    let rebase = |mut source: SecretSource| {
        source.rebase(base);
        source
    };
    let admin_at = raw
        .admin_token
        .as_ref()
        .map(|token| check.location(file, token.span().start));
    let admin_token = raw.admin_token.map(|token| rebase(token.into_inner()));
    let admin = admin_token.clone().zip(admin_at);
    let operators = super::operators::check_operators(check, file, admin, raw.operators, base);
    let oidc = raw
        .oidc
        .and_then(|oidc| super::operators::check_oidc(check, file, oidc, base));
    ServerConfig {
        tls: check_tls(check, file, raw.tls_cert, raw.tls_key, base),
        listen,
        admin_token,
        operators,
        oidc,
        webhook_secret: raw.webhook_secret.map(rebase),
        eventgrid_key: raw.eventgrid_key.map(rebase),
        metrics_token: raw.metrics_token.map(rebase),
        max_body_bytes,
        max_connections,
        max_in_flight,
        header_timeout: raw.header_timeout.map_or(Duration::from_secs(10), |d| d.0),
        request_timeout: raw.request_timeout.map_or(Duration::from_secs(30), |d| d.0),
        shutdown_deadline: raw
            .shutdown_deadline
            .map_or(Duration::from_secs(30), |d| d.0),
    }
}
