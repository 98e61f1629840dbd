//! `[scim]`: the SCIM 2.0 intake's token, how users map to owner ids, and
//! the public base URL of its resources.

use std::path::Path;

use super::Checker;
use super::checker::base_url;
use crate::config::document::Located;
use crate::config::raw::RawScim;
use crate::config::{ScimConfig, ScimOwnerId};

/// Checks `[scim]`; `has_server` says whether `[server]` is there to serve
/// it. A relative token file resolves against `base`.
pub fn check_scim(
    check: &mut Checker<'_>,
    located: Located<RawScim>,
    has_server: bool,
    base: &Path,
) -> ScimConfig {
    if !has_server {
        check.report(
            &located,
            None,
            "scim",
            "the SCIM endpoints are served by [server]: add a [server] section",
        );
    }
    let file = located.file;
    let raw = located.value;
    let owner_id = match raw.owner_id {
        None => ScimOwnerId::default(),
        Some(value) => match value.get_ref().as_str() {
            "userName" => ScimOwnerId::UserName,
            "email" => ScimOwnerId::Email,
            other => {
                check.report_in(
                    file,
                    value.span(),
                    "scim.owner_id",
                    format!("expected \"userName\" or \"email\", not {other:?}"),
                );
                ScimOwnerId::default()
            }
        },
    };
    let base_url = raw.base_url.and_then(|value| {
        let url = base_url(value.get_ref());
        if url.is_none() {
            check.report_in(
                file,
                value.span(),
                "scim.base_url",
                "expected an http(s) URL without query or fragment, like https://tenure.example.com/scim/v2",
            );
        }
        url
    });
    let mut token = raw.token;
    token.rebase(base);
    ScimConfig {
        token,
        owner_id,
        base_url,
    }
}
