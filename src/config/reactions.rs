//! The `on_<finding>` keys of `[defaults]` and of each record: which action
//! answers a finding, and which actions each finding allows (Tenure never
//! grants, so a missing scope can only be escalated or reported; a check
//! that could not be made is never an action, and never compliant).

use serde_spanned::Spanned;

use super::raw::RawReactions;
use crate::governance::{Action, Reactions};

use Action::{Escalate, Report, Retire, Revoke, Rotate};

/// The actions each `on_*` key allows, in the order of [`RawReactions`].
const ALLOWED: [&[Action]; 11] = [
    &[Revoke, Rotate, Escalate, Report],
    &[Revoke, Rotate, Escalate, Report],
    &[Revoke, Rotate, Escalate, Report],
    &[Revoke, Rotate, Escalate, Report],
    &[Revoke, Rotate, Escalate, Report],
    &[Rotate, Revoke, Escalate, Report],
    &[Revoke, Escalate, Report],
    &[Retire, Escalate, Report],
    &[Retire, Escalate, Report],
    &[Escalate, Report],
    &[Escalate, Report],
];

fn name(action: Action) -> &'static str {
    match action {
        Revoke => "revoke",
        Rotate => "rotate",
        Retire => "retire",
        Escalate => "escalate",
        Report => "report",
    }
}

fn slot(reactions: &mut Reactions, index: usize) -> &mut Action {
    match index {
        0 => &mut reactions.owner_left,
        1 => &mut reactions.owner_changed,
        2 => &mut reactions.workload_moved,
        3 => &mut reactions.workload_decommissioned,
        4 => &mut reactions.review_lapsed,
        5 => &mut reactions.credential_rejected,
        6 => &mut reactions.revocation_undone,
        7 => &mut reactions.retired_credential_alive,
        8 => &mut reactions.retired_value_readable,
        9 => &mut reactions.scope_missing,
        _ => &mut reactions.attestation_unavailable,
    }
}

/// `base` with the keys that are set applied; each key set to an action it
/// does not allow is reported through `report(span, key, message)` and
/// leaves the base action.
pub fn apply(
    base: Reactions,
    raw: RawReactions<'_>,
    mut report: impl FnMut(std::ops::Range<usize>, &'static str, String),
) -> Reactions {
    let mut reactions = base;
    for (index, (key, value)) in raw.into_iter().enumerate() {
        let Some(value) = value else { continue };
        let action = *Spanned::get_ref(value);
        let allowed = ALLOWED[index];
        if allowed.contains(&action) {
            *slot(&mut reactions, index) = action;
        } else {
            let names: Vec<&str> = allowed.iter().map(|a| name(*a)).collect();
            report(
                value.span(),
                key,
                format!(
                    "{:?} is not allowed here; expected one of {}",
                    name(action),
                    names.join(", ")
                ),
            );
        }
    }
    reactions
}
