//! `[approvals]` and a record's `require_approval`: which actions wait for a
//! second person, which reasons bypass that, how long a request lives, and
//! the public URL its notifications link to.

use std::collections::BTreeSet;

use serde_spanned::Spanned;

use super::Checker;
use super::checker::base_url;
use crate::approvals::{ApprovalAction, ApprovalPolicy};
use crate::config::document::Located;
use crate::config::raw::{RawApprovals, RawRecord};
use crate::policy::Reason;

/// The actions named in `list`, each bad name reported under `key[i]`
/// through `report`.
fn actions(
    list: &[Spanned<String>],
    mut report: impl FnMut(String, std::ops::Range<usize>, String),
    key: &str,
) -> BTreeSet<ApprovalAction> {
    let mut set = BTreeSet::new();
    for (i, name) in list.iter().enumerate() {
        match name.get_ref().parse::<ApprovalAction>() {
            Ok(action) => {
                set.insert(action);
            }
            Err(message) => report(format!("{key}[{i}]"), name.span(), message),
        }
    }
    set
}

/// Checks `[approvals]`.
pub fn check_approvals(check: &mut Checker<'_>, located: Located<RawApprovals>) -> ApprovalPolicy {
    let file = located.file;
    let raw = located.value;
    let defaults = ApprovalPolicy::default();
    let require = actions(
        &raw.require,
        |key, span, message| check.report_in(file, span, &key, message),
        "approvals.require",
    );
    let bypass = raw.bypass.map_or(defaults.bypass, |list| {
        let mut set = BTreeSet::new();
        for (i, name) in list.iter().enumerate() {
            match Reason::from_name(name.get_ref()) {
                Some(reason) => {
                    set.insert(reason);
                }
                None => check.report_in(
                    file,
                    name.span(),
                    format!("approvals.bypass[{i}]"),
                    format!(
                        "{:?} is not a decision reason (like \"secret_exposed\" or \"owner_left\")",
                        name.get_ref()
                    ),
                ),
            }
        }
        set
    });
    let ttl = match raw.ttl {
        Some(ttl) if ttl.get_ref().0.is_zero() => {
            check.report_in(
                file,
                ttl.span(),
                "approvals.ttl",
                "must be longer than zero",
            );
            defaults.ttl
        }
        Some(ttl) => ttl.get_ref().0,
        None => defaults.ttl,
    };
    let api_url = raw.api_url.and_then(|value| {
        let url = base_url(value.get_ref());
        if url.is_none() {
            check.report_in(
                file,
                value.span(),
                "approvals.api_url",
                "expected the service's public http(s) URL without query or fragment, like https://tenure.example.com",
            );
        }
        url
    });
    ApprovalPolicy {
        require,
        bypass,
        ttl,
        api_url,
    }
}

/// A record's `require_approval`, which replaces `[approvals] require` for
/// its secrets; `disable_unmanaged` is refused (it concerns accounts no
/// record governs).
pub fn check_record_approvals(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
) -> Option<BTreeSet<ApprovalAction>> {
    let list = raw.value.require_approval.as_ref()?;
    let set = actions(
        list,
        |key, span, message| check.report_field(raw, key, span, message),
        "require_approval",
    );
    if set.contains(&ApprovalAction::DisableUnmanaged) {
        let span = list
            .iter()
            .find(|n| n.get_ref() == ApprovalAction::DisableUnmanaged.as_str())
            .map_or(0..0, Spanned::span);
        check.report_field(
            raw,
            "require_approval",
            span,
            "disable_unmanaged concerns accounts no record governs: require it in [approvals]",
        );
    }
    Some(set)
}
