//! `[schedule]`: rotation windows, blackouts, jitter, and the per-provider
//! action budgets of `[schedule.providers.<name>]`. Also checks the
//! `{ concurrency, per_second }` shape the targets' `attest` budget shares.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_spanned::Spanned;

use super::Checker;
use super::checker::configured_names;
use crate::config::document::Located;
use crate::config::raw::{RawBlackout, RawBudget, RawSchedule};
use crate::plugins::ProviderConfig;
use crate::scheduler::{Blackout, Budget, SchedulePolicy, Window};

/// Reports a budget's `concurrency` outside 1..=256 and a `per_second`
/// that is not a positive number, at `<key>.concurrency` / `<key>.per_second`.
pub fn check_budget(check: &mut Checker<'_>, file: usize, raw: &RawBudget, key: &str) {
    if let Some(n) = &raw.concurrency {
        check.in_range(file, n, format!("{key}.concurrency"), 1..=256);
    }
    if let Some(r) = &raw.per_second
        && !(r.get_ref().is_finite() && *r.get_ref() > 0.0)
    {
        check.report_in(
            file,
            r.span(),
            format!("{key}.per_second"),
            "must be a positive number",
        );
    }
}

fn check_windows(
    check: &mut Checker<'_>,
    file: usize,
    windows: &[Spanned<String>],
    schedule: &mut SchedulePolicy,
) {
    for (i, text) in windows.iter().enumerate() {
        match Window::parse(text.get_ref()) {
            Ok(window) => schedule.windows.push(window),
            Err(message) => {
                check.report_in(file, text.span(), format!("schedule.windows[{i}]"), message);
            }
        }
    }
}

fn check_blackouts(
    check: &mut Checker<'_>,
    file: usize,
    blackouts: Vec<Spanned<RawBlackout>>,
    schedule: &mut SchedulePolicy,
) {
    for (i, blackout) in blackouts.into_iter().enumerate() {
        let span = blackout.span();
        let blackout = blackout.into_inner();
        if blackout.until.0 <= blackout.from.0 {
            check.report_in(
                file,
                span,
                format!("schedule.blackouts[{i}]"),
                "`until` must be after `from`",
            );
            continue;
        }
        schedule.blackouts.push(Blackout {
            from: blackout.from.0,
            until: blackout.until.0,
            reason: blackout.reason,
        });
    }
}

fn check_provider_budgets(
    check: &mut Checker<'_>,
    file: usize,
    raw: BTreeMap<Spanned<String>, RawBudget>,
    providers: &BTreeMap<String, ProviderConfig>,
) -> HashMap<String, Budget> {
    let mut budgets = HashMap::new();
    for (name, budget) in raw {
        let key = format!("schedule.providers.{}", name.get_ref());
        if !providers.contains_key(name.get_ref()) {
            check.report_in(
                file,
                name.span(),
                key.clone(),
                format!(
                    "unknown provider {:?} ({})",
                    name.get_ref(),
                    configured_names(providers)
                ),
            );
        }
        check_budget(check, file, &budget, &key);
        budgets.insert(
            name.into_inner(),
            Budget {
                concurrency: budget.concurrency.map(Spanned::into_inner),
                per_second: budget.per_second.map(Spanned::into_inner),
            },
        );
    }
    budgets
}

/// Checks `[schedule]` (absent: no windows, blackouts or budgets); each
/// budget must name a configured provider.
pub fn check_schedule(
    check: &mut Checker<'_>,
    located: Option<Located<RawSchedule>>,
    providers: &BTreeMap<String, ProviderConfig>,
) -> (SchedulePolicy, HashMap<String, Budget>) {
    let mut schedule = SchedulePolicy::default();
    let Some(located) = located else {
        return (schedule, HashMap::new());
    };
    let file = located.file;
    let raw = located.value;
    check_windows(check, file, &raw.windows, &mut schedule);
    check_blackouts(check, file, raw.blackouts, &mut schedule);
    schedule.jitter = raw.jitter.map_or(Duration::ZERO, |d| d.0);
    let budgets = check_provider_budgets(check, file, raw.providers, providers);
    (schedule, budgets)
}
