//! `[defaults]`: the policy where no record applies, and the values records inherit.

use std::time::Duration;

use super::Checker;
use crate::config::document::Located;
use crate::config::raw::RawDefaults;
use crate::config::reactions;
use crate::governance::{Action, Reactions};
use crate::policy::Defaults;

/// What a record takes from `[defaults]` when it does not set it.
pub struct RecordDefaults {
    /// How long before `max_age` a rotation is due.
    pub renew_before: Duration,
    /// How long the previous credential lives after a rotation.
    pub grace: Duration,
    /// How often credentials are attested (`None`: never).
    pub attest_every: Option<Duration>,
    /// Which action answers each finding.
    pub reactions: Reactions,
}

impl Default for RecordDefaults {
    fn default() -> Self {
        Self {
            renew_before: Duration::ZERO,
            grace: Duration::from_secs(3600),
            attest_every: Some(Duration::from_secs(3600)),
            reactions: Reactions::default(),
        }
    }
}

/// `on_orphan`, reported when it asks to rotate (an orphan has no target).
fn check_on_orphan(check: &mut Checker<'_>, raw: &Located<RawDefaults>, defaults: &mut Defaults) {
    let Some(on_orphan) = &raw.value.on_orphan else {
        return;
    };
    if *on_orphan.get_ref() == Action::Rotate {
        check.report(
            raw,
            Some(on_orphan.span()),
            "defaults.on_orphan",
            "an orphan has no record, hence no target to rotate it with; use revoke, escalate or report",
        );
    }
    defaults.on_orphan = *on_orphan.get_ref();
}

/// Checks `[defaults]` (absent: all defaults): the orphan policy, and what records inherit.
pub fn check_defaults(
    check: &mut Checker<'_>,
    raw: Option<&Located<RawDefaults>>,
) -> (Defaults, RecordDefaults) {
    let mut defaults = Defaults::default();
    let mut inherited = RecordDefaults::default();
    let Some(raw) = raw else {
        return (defaults, inherited);
    };
    let d = &raw.value;
    check_on_orphan(check, raw, &mut defaults);
    inherited.renew_before = d.renew_before.map_or(inherited.renew_before, |v| v.0);
    inherited.grace = d.grace.map_or(inherited.grace, |v| v.0);
    inherited.attest_every = d.attest_every.map_or(inherited.attest_every, |e| e.0);
    inherited.reactions =
        reactions::apply(inherited.reactions, d.reactions(), |span, key, message| {
            check.report_in(raw.file, span, format!("defaults.{key}"), message);
        });
    (defaults, inherited)
}
