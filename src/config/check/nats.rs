//! `[nats]`: the JetStream server, subject, stream and consumer names read as an event source.

use std::path::Path;

use serde_spanned::Spanned;

use super::Checker;
use crate::config::NatsConfig;
use crate::config::document::Located;
use crate::config::raw::RawNats;

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A stream or consumer name, or `default` (with a diagnostic when it was not plain).
fn check_name(
    check: &mut Checker<'_>,
    file: usize,
    value: Option<Spanned<String>>,
    key: &str,
    default: &str,
) -> String {
    match value {
        Some(v) if !is_plain_name(v.get_ref()) => {
            check.report_in(
                file,
                v.span(),
                format!("nats.{key}"),
                "use only letters, digits, '-' and '_'",
            );
            default.to_owned()
        }
        Some(v) => v.into_inner(),
        None => default.to_owned(),
    }
}

fn check_url(check: &mut Checker<'_>, file: usize, url: &Spanned<String>) {
    if !url.get_ref().starts_with("nats://") && !url.get_ref().starts_with("tls://") {
        check.report_in(
            file,
            url.span(),
            "nats.url",
            "expected nats://host:port or tls://host:port",
        );
    }
}

fn check_subject(check: &mut Checker<'_>, file: usize, subject: &Spanned<String>) {
    if subject.get_ref().trim().is_empty() || subject.get_ref().contains(' ') {
        check.report_in(
            file,
            subject.span(),
            "nats.subject",
            "expected a subject such as tenure.events",
        );
    }
}

/// Checks `[nats]`; a relative token file resolves against `base`.
pub fn check_nats(check: &mut Checker<'_>, located: Located<RawNats>, base: &Path) -> NatsConfig {
    let file = located.file;
    let raw = located.value;
    let stream = check_name(check, file, raw.stream, "stream", "TENURE_EVENTS");
    let durable = check_name(check, file, raw.durable, "durable", "tenure");
    check_url(check, file, &raw.url);
    check_subject(check, file, &raw.subject);
    NatsConfig {
        url: raw.url.into_inner(),
        subject: raw.subject.into_inner(),
        stream,
        durable,
        token: raw.token.map(|mut t| {
            t.rebase(base);
            t
        }),
    }
}
