//! [`Findings`]: the rules that fired, grouped by the action each asks
//! for, and the precedence that picks the strongest.

use super::{DecisionKind, Reason, Reasons};
use crate::governance::{Action, Attested, Reactions};

/// The rules that fired, by the action each asks for.
#[derive(Default)]
pub(super) struct Findings {
    revoke: Reasons,
    retire: Reasons,
    pub(super) narrow: Reasons,
    pub(super) rotate: Reasons,
    pub(super) escalate: Reasons,
    report: Reasons,
}

impl Findings {
    pub(super) fn add(&mut self, reason: Reason, action: Action) {
        match action {
            Action::Revoke => self.revoke.insert(reason),
            Action::Retire => self.retire.insert(reason),
            Action::Rotate => self.rotate.insert(reason),
            Action::Escalate => self.escalate.insert(reason),
            Action::Report => self.report.insert(reason),
        }
    }

    /// What attestation found about a secret that stays enabled or revoked
    /// alike: retired values, and checks that could not be made. A check
    /// that could not be made is never silence.
    pub(super) fn add_attested(&mut self, attested: &Attested, reactions: &Reactions) {
        if attested.retired_value_readable {
            self.add(
                Reason::RetiredValueReadable,
                reactions.retired_value_readable,
            );
        }
        if attested.unavailable {
            self.add(
                Reason::AttestationUnavailable,
                reactions.attestation_unavailable,
            );
        }
    }

    /// The strongest action: revoke > narrow > rotate > retire > escalate.
    /// A rotation comes before a retirement: where one password serves a
    /// role, a retired password that works means the current one fails,
    /// and only a new one fixes both.
    pub(super) fn kind(&self) -> DecisionKind {
        if !self.revoke.is_empty() {
            DecisionKind::Revoke
        } else if !self.narrow.is_empty() {
            DecisionKind::Narrow
        } else if !self.rotate.is_empty() {
            DecisionKind::Rotate
        } else if !self.retire.is_empty() {
            DecisionKind::Retire
        } else if !self.escalate.is_empty() || !self.report.is_empty() {
            DecisionKind::Escalate
        } else {
            DecisionKind::Compliant
        }
    }

    pub(super) fn reasons(&self) -> Reasons {
        self.revoke
            .union(self.retire)
            .union(self.narrow)
            .union(self.rotate)
            .union(self.escalate)
            .union(self.report)
    }
}
