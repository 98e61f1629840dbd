//! The keys of a `[targets.<name>]` table that are Tenure's, not its
//! plugin's: the attestation budget, discovery of unmanaged accounts, and
//! what to do with one.
//!
//! ```toml
//! [targets.pg]
//! type = "postgres"
//! attest = { concurrency = 4, per_second = 50 }
//! discover = { include = ["app_*"], exclude = ["app_ci_*"], every = "1h" }
//! on_unmanaged = "report"   # or "escalate", or "disable"
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use super::diagnostics::{Diagnostic, SourceFile};
use super::document::Located;
use super::raw::{RawBudget, RawTargetSettings};
use crate::plugins::TargetConfig;
use crate::scheduler::Budget;

/// What to do with an account no governed secret names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmanagedAction {
    /// List it in the plan, the API, metrics and the audit trail.
    #[default]
    Report,
    /// The same, and notify.
    Escalate,
    /// Disable it (NOLOGIN, account lock, ACL off, keys deactivated), with proof.
    Disable,
}

impl UnmanagedAction {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Escalate => "escalate",
            Self::Disable => "disable",
        }
    }
}

/// `discover = { include, exclude, every }`: which accounts are looked at.
#[derive(Debug, Clone)]
pub struct DiscoverConfig {
    /// Globs an account must match (all when empty).
    pub include: Vec<GlobMatcher>,
    /// Globs an account must not match.
    pub exclude: Vec<GlobMatcher>,
    /// How often the target's accounts are listed again.
    pub every: Duration,
}

impl DiscoverConfig {
    /// Whether `login` is looked at.
    pub fn selects(&self, login: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| g.is_match(login)))
            && !self.exclude.iter().any(|g| g.is_match(login))
    }
}

/// One target's settings.
#[derive(Debug, Clone)]
pub struct TargetSettings {
    /// How many attestations of its secrets at once, and how fast.
    pub attest: Budget,
    /// Discovery, when opted in.
    pub discover: Option<DiscoverConfig>,
    /// What to do with an unmanaged account.
    pub on_unmanaged: UnmanagedAction,
}

impl Default for TargetSettings {
    fn default() -> Self {
        Self {
            attest: Budget {
                concurrency: Some(4),
                per_second: None,
            },
            discover: None,
            on_unmanaged: UnmanagedAction::Report,
        }
    }
}

fn budget(raw: &RawBudget, key: &str, file: &SourceFile, out: &mut Vec<Diagnostic>) -> Budget {
    if let Some(n) = &raw.concurrency
        && (*n.get_ref() == 0 || *n.get_ref() > 256)
    {
        out.push(file.diagnostic(
            Some(n.span()),
            format!("{key}.concurrency"),
            "must be between 1 and 256",
        ));
    }
    if let Some(r) = &raw.per_second
        && !(r.get_ref().is_finite() && *r.get_ref() > 0.0)
    {
        out.push(file.diagnostic(
            Some(r.span()),
            format!("{key}.per_second"),
            "must be a positive number",
        ));
    }
    Budget {
        concurrency: raw.concurrency.as_ref().map(|n| *n.get_ref()).or(Some(4)),
        per_second: raw.per_second.as_ref().map(|r| *r.get_ref()),
    }
}

/// Checks every target's settings; a target without any gets the defaults.
pub fn check(
    files: &[SourceFile],
    raw: Vec<Located<(String, RawTargetSettings)>>,
    targets: &BTreeMap<String, TargetConfig>,
    out: &mut Vec<Diagnostic>,
) -> BTreeMap<String, TargetSettings> {
    let mut settings: BTreeMap<String, TargetSettings> = targets
        .keys()
        .map(|name| (name.clone(), TargetSettings::default()))
        .collect();
    for located in raw {
        let file = &files[located.file];
        let key = located.key;
        let (name, raw) = located.value;
        let lists = targets.get(&name).is_some_and(TargetConfig::has_logins);
        let mut s = TargetSettings::default();
        if let Some(attest) = &raw.attest {
            s.attest = budget(attest, &format!("{key}.attest"), file, out);
        }
        if let Some(discover) = raw.discover {
            let span = discover.span();
            let discover = discover.into_inner();
            if !lists {
                out.push(file.diagnostic(
                    Some(span),
                    format!("{key}.discover"),
                    "this target cannot list its accounts; discovery works with postgres, mysql, redis and aws_iam targets",
                ));
            }
            let mut globs = |list: &[serde_spanned::Spanned<String>], field: &str| {
                let mut matchers = Vec::new();
                for (i, pattern) in list.iter().enumerate() {
                    match Glob::new(pattern.get_ref()) {
                        Ok(glob) => matchers.push(glob.compile_matcher()),
                        Err(err) => out.push(file.diagnostic(
                            Some(pattern.span()),
                            format!("{key}.discover.{field}[{i}]"),
                            format!("invalid glob {:?}: {}", pattern.get_ref(), err.kind()),
                        )),
                    }
                }
                matchers
            };
            let include = globs(&discover.include, "include");
            let exclude = globs(&discover.exclude, "exclude");
            s.discover = Some(DiscoverConfig {
                include,
                exclude,
                every: discover.every.map_or(Duration::from_secs(3600), |d| d.0),
            });
        }
        if let Some(action) = raw.on_unmanaged {
            s.on_unmanaged = *action.get_ref();
            if s.discover.is_none() {
                out.push(file.diagnostic(
                    Some(action.span()),
                    format!("{key}.on_unmanaged"),
                    "set `discover` too: unmanaged accounts are found by discovery",
                ));
            }
        }
        settings.insert(name, s);
    }
    settings
}
