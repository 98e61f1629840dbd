//! `[targets.<name>]`: each target's plugin settings, and the keys that are
//! Tenure's (`attest` budget, `discover`, `on_unmanaged`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use globset::{Glob, GlobMatcher};
use serde_spanned::Spanned;

use super::Checker;
use super::checker::plugin_tables;
use super::schedule::check_budget;
use crate::config::document::Located;
use crate::config::raw::{RawBudget, RawDiscover, RawTargetSettings};
use crate::config::{DiscoverConfig, TargetSettings};
use crate::plugins::TargetConfig;
use crate::scheduler::Budget;

/// Checks every target's plugin table; relative paths resolve against `base`.
pub fn check_targets(
    check: &mut Checker<'_>,
    tables: Vec<Located<(String, TargetConfig)>>,
    base: &Path,
) -> BTreeMap<String, TargetConfig> {
    plugin_tables(check, tables, |config| {
        config.rebase(base);
        config.validate()
    })
}

/// The `attest` budget (concurrency 4 unless set).
fn check_attest(check: &mut Checker<'_>, file: usize, raw: &RawBudget, key: &str) -> Budget {
    check_budget(check, file, raw, key);
    Budget {
        concurrency: raw.concurrency.as_ref().map(|n| *n.get_ref()).or(Some(4)),
        per_second: raw.per_second.as_ref().map(|r| *r.get_ref()),
    }
}

/// Compiles `discover.<field>`, reporting each invalid glob.
fn compile_globs(
    check: &mut Checker<'_>,
    file: usize,
    list: &[Spanned<String>],
    key: &str,
) -> Vec<GlobMatcher> {
    let mut matchers = Vec::new();
    for (i, pattern) in list.iter().enumerate() {
        match Glob::new(pattern.get_ref()) {
            Ok(glob) => matchers.push(glob.compile_matcher()),
            Err(err) => check.report_in(
                file,
                pattern.span(),
                format!("{key}[{i}]"),
                format!("invalid glob {:?}: {}", pattern.get_ref(), err.kind()),
            ),
        }
    }
    matchers
}

/// `discover`, reported when the target cannot list its accounts.
fn check_discover(
    check: &mut Checker<'_>,
    file: usize,
    discover: Spanned<RawDiscover>,
    key: &str,
    lists_accounts: bool,
) -> DiscoverConfig {
    let span = discover.span();
    let discover = discover.into_inner();
    if !lists_accounts {
        check.report_in(
            file,
            span,
            format!("{key}.discover"),
            "this target cannot list its accounts; discovery works with postgres, mysql, redis and aws_iam targets",
        );
    }
    let include = compile_globs(
        check,
        file,
        &discover.include,
        &format!("{key}.discover.include"),
    );
    let exclude = compile_globs(
        check,
        file,
        &discover.exclude,
        &format!("{key}.discover.exclude"),
    );
    DiscoverConfig {
        include,
        exclude,
        every: discover.every.map_or(Duration::from_secs(3600), |d| d.0),
    }
}

/// Checks every target's settings; a target without any gets the defaults.
pub fn check_target_settings(
    check: &mut Checker<'_>,
    raw: Vec<Located<(String, RawTargetSettings)>>,
    targets: &BTreeMap<String, TargetConfig>,
) -> BTreeMap<String, TargetSettings> {
    let mut settings: BTreeMap<String, TargetSettings> = targets
        .keys()
        .map(|name| (name.clone(), TargetSettings::default()))
        .collect();
    for located in raw {
        let file = located.file;
        let key = located.key;
        let (name, raw) = located.value;
        let lists_accounts = targets.get(&name).is_some_and(|t| t.capabilities().logins);
        let mut s = TargetSettings::default();
        if let Some(attest) = &raw.attest {
            s.attest = check_attest(check, file, attest, &format!("{key}.attest"));
        }
        if let Some(discover) = raw.discover {
            s.discover = Some(check_discover(check, file, discover, &key, lists_accounts));
        }
        if let Some(action) = raw.on_unmanaged {
            s.on_unmanaged = *action.get_ref();
            if s.discover.is_none() {
                check.report_in(
                    file,
                    action.span(),
                    format!("{key}.on_unmanaged"),
                    "set `discover` too: unmanaged accounts are found by discovery",
                );
            }
        }
        settings.insert(name, s);
    }
    settings
}
