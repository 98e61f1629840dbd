//! `[[records]]`: each governance record's selector, target and account,
//! leases, durations, scopes and reactions, checked against the providers
//! and targets that are configured.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::checker::{FirstDefinitions, configured_names};
use super::selector::{parse_selector, selector_provider};
use super::{Checker, RecordDefaults};
use crate::approvals::ApprovalAction;
use crate::config::document::Located;
use crate::config::raw::RawRecord;
use crate::config::reactions;
use crate::governance::{Approval, Exception, OwnerGroup, Reactions, Record, Selector};
use crate::plugins::{ProviderConfig, TargetConfig};

/// The providers and targets records may name.
pub struct Known<'a> {
    /// Providers by name.
    pub providers: &'a BTreeMap<String, ProviderConfig>,
    /// Targets by name.
    pub targets: &'a BTreeMap<String, TargetConfig>,
}

/// `secrets`: a valid selector naming a configured provider.
fn check_selector(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    known: &Known<'_>,
) -> Option<Selector> {
    let secrets = &raw.value.secrets;
    match parse_selector(secrets.get_ref()) {
        Ok(selector) => {
            let provider = selector_provider(&selector);
            if !known.providers.contains_key(provider) {
                let message = format!(
                    "unknown provider {provider:?} ({})",
                    configured_names(known.providers)
                );
                check.report_field(raw, "secrets", secrets.span(), message);
            }
            Some(selector)
        }
        Err(message) => {
            check.report_field(raw, "secrets", secrets.span(), message);
            None
        }
    }
}

/// `account`: present exactly when the target acts on accounts, and valid for it.
fn check_account(check: &mut Checker<'_>, raw: &Located<RawRecord>, target: &TargetConfig) {
    let r = &raw.value;
    match &r.account {
        Some(account) if !target.capabilities().logins => check.report_field(
            raw,
            "account",
            account.span(),
            format!(
                "target {:?} (type {}) has no accounts; remove `account`",
                r.target.get_ref(),
                target.type_name()
            ),
        ),
        Some(account) => {
            if let Err(message) = target.check_account(account.get_ref()) {
                check.report_field(raw, "account", account.span(), message);
            }
        }
        None if target.capabilities().logins => check.report_field(
            raw,
            "account",
            r.target.span(),
            format!(
                "missing field `account`: target {:?} (type {}) acts on accounts; name the one this record governs (a name or a glob), so that a value naming another is refused",
                r.target.get_ref(),
                target.type_name()
            ),
        ),
        None => {}
    }
}

/// `target`: a configured target, then the `account` it needs.
fn check_target(check: &mut Checker<'_>, raw: &Located<RawRecord>, known: &Known<'_>) {
    let target = &raw.value.target;
    match known.targets.get(target.get_ref()) {
        Some(config) => check_account(check, raw, config),
        None => check.report_field(
            raw,
            "target",
            target.span(),
            format!(
                "unknown target {:?} ({})",
                target.get_ref(),
                configured_names(known.targets)
            ),
        ),
    }
}

/// `leases`: only on a provider that has leases, each a plain path prefix.
fn check_leases(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    selector: Option<&Selector>,
    known: &Known<'_>,
) {
    let leases = &raw.value.leases;
    if let (Some(first), Some(selector)) = (leases.first(), selector) {
        let provider = selector_provider(selector);
        if let Some(config) = known.providers.get(provider)
            && !config.capabilities().leases
        {
            check.report_field(
                raw,
                "leases",
                first.span(),
                format!(
                    "provider {provider:?} (type {}) has no leases; only {} providers do",
                    config.type_name(),
                    crate::plugins::provider_types_with(|c| c.leases)
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    for (j, prefix) in leases.iter().enumerate() {
        if !is_lease_prefix(prefix.get_ref()) {
            check.report_field(
                raw,
                format!("leases[{j}]"),
                prefix.span(),
                format!(
                    "invalid lease prefix {:?}: expected a path such as \"database/creds/orders\"",
                    prefix.get_ref()
                ),
            );
        }
    }
}

fn is_lease_prefix(text: &str) -> bool {
    let text = text.trim_matches('/');
    !text.is_empty()
        && !text
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
}

/// `renew_before` (or the default), reported when it is not shorter than `max_age`.
fn check_renew_before(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    default: Duration,
) -> Duration {
    let r = &raw.value;
    let renew_before = r.renew_before.as_ref().map_or(default, |d| d.get_ref().0);
    if let Some(max_age) = &r.max_age
        && renew_before >= max_age.get_ref().0
    {
        let span = r.renew_before.as_ref().map_or(max_age.span(), |d| d.span());
        check.report_field(
            raw,
            "renew_before",
            span,
            format!(
                "renew_before ({}) must be shorter than max_age ({})",
                humantime::format_duration(renew_before),
                humantime::format_duration(max_age.get_ref().0)
            ),
        );
    }
    renew_before
}

/// `scopes`, in the target's canonical form (as written when the target is unknown).
fn canonical_scopes(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    known: &Known<'_>,
) -> Vec<String> {
    let r = &raw.value;
    let target = known.targets.get(r.target.get_ref());
    let mut scopes = Vec::with_capacity(r.scopes.len());
    for (j, scope) in r.scopes.iter().enumerate() {
        match target.map(|t| t.canonical_scope(scope.get_ref())) {
            Some(Err(message)) => {
                check.report_field(raw, format!("scopes[{j}]"), scope.span(), message);
            }
            Some(Ok(canonical)) => scopes.push(canonical),
            None => scopes.push(scope.get_ref().clone()),
        }
    }
    scopes
}

/// The record's `on_*` keys applied over the defaults' reactions.
fn check_reactions(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    base: Reactions,
) -> Reactions {
    reactions::apply(base, raw.value.reactions(), |span, key, message| {
        check.report_field(raw, key, span, message);
    })
}

/// What the checks made of a record's fields.
struct Checked {
    selector: Selector,
    renew_before: Duration,
    scopes: Vec<String>,
    reactions: Reactions,
    require_approval: Option<BTreeSet<ApprovalAction>>,
}

fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

fn into_record(r: &RawRecord, checked: Checked, defaults: &RecordDefaults) -> Record {
    Record {
        id: r.id.get_ref().clone(),
        selector: checked.selector,
        target: r.target.get_ref().clone(),
        account: r.account.as_ref().map(|a| a.get_ref().clone()),
        owner: r.owner.clone(),
        owner_group: r.owner_group.as_ref().map(|g| OwnerGroup {
            name: g.get_ref().trim().to_owned(),
            owner_left_at: None,
        }),
        purpose: r.purpose.clone(),
        workloads: r.workloads.clone(),
        max_age: r.max_age.as_ref().map(|d| d.get_ref().delta()),
        schedule: r.schedule.as_ref().map(|c| c.0.clone()),
        expires: r.expires.map(|t| t.0),
        renew_before: delta(checked.renew_before),
        grace: delta(r.grace.map_or(defaults.grace, |g| g.0)),
        recovery_window: r.recovery_window.as_ref().map(|d| d.0),
        leases: r.leases.iter().map(|l| l.get_ref().clone()).collect(),
        scopes: checked.scopes,
        approval: Approval {
            by: r.approval.by.clone(),
            at: r.approval.at.0,
            ticket: r.approval.ticket.clone(),
        },
        review_by: r.review_by.map(|t| t.0),
        last_review: None,
        exception: r.exception.as_ref().map(|e| Exception {
            until: e.until.0,
            reason: e.reason.clone(),
            approved_by: e.approved_by.clone(),
        }),
        reactions: checked.reactions,
        attest_every: r.attest_every.map_or(defaults.attest_every, |e| e.0),
        require_approval: checked.require_approval,
    }
}

/// Checks one record whose id is new; `None` when its selector is invalid.
fn check_record(
    check: &mut Checker<'_>,
    raw: &Located<RawRecord>,
    known: &Known<'_>,
    defaults: &RecordDefaults,
) -> Option<Record> {
    let selector = check_selector(check, raw, known);
    check_target(check, raw, known);
    check_leases(check, raw, selector.as_ref(), known);
    let renew_before = check_renew_before(check, raw, defaults.renew_before);
    let scopes = canonical_scopes(check, raw, known);
    let reactions = check_reactions(check, raw, defaults.reactions);
    if let Some(group) = &raw.value.owner_group
        && group.get_ref().trim().is_empty()
    {
        check.report_field(raw, "owner_group", group.span(), "must name a group");
    }
    let require_approval = super::check_record_approvals(check, raw);
    let checked = Checked {
        selector: selector?,
        renew_before,
        scopes,
        reactions,
        require_approval,
    };
    Some(into_record(&raw.value, checked, defaults))
}

/// Checks every record (ids are unique; a repeated one is reported and left out).
pub fn check_records(
    check: &mut Checker<'_>,
    raw: &[Located<RawRecord>],
    known: &Known<'_>,
    defaults: &RecordDefaults,
) -> Vec<Record> {
    let mut first = FirstDefinitions::default();
    let mut records = Vec::new();
    for located in raw {
        if !first.is_new(check, located, &located.value.id, "record id") {
            continue;
        }
        records.extend(check_record(check, located, known, defaults));
    }
    records
}
