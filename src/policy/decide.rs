//! [`decide`]: the rules, and the next due time.

use chrono::{DateTime, Utc};

use super::findings::Findings;
use super::{Decision, DecisionKind, Defaults, Reason, Reasons, Subject};
use crate::governance::{Action, OwnerStatus, Reactions, ReviewDecision, WorkloadStatus};

fn single(kind: DecisionKind, reason: Reason, notify: bool, now: DateTime<Utc>) -> Decision {
    let mut reasons = Reasons::EMPTY;
    reasons.insert(reason);
    Decision {
        kind,
        reasons,
        waived: Reasons::EMPTY,
        next_due: kind.is_action().then_some(now),
        notify,
    }
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A time a credential must be rotated by, and when before it rotation
/// falls due (`renew_before` ahead).
struct Deadline {
    at: DateTime<Utc>,
    renew_from: DateTime<Utc>,
}

impl Deadline {
    fn new(at: DateTime<Utc>, renew_before: chrono::TimeDelta) -> Self {
        Self {
            at,
            renew_from: at - renew_before,
        }
    }

    /// Adds the reason to rotate now to `rotate` (`passed` once the
    /// deadline has passed, in the renew window before it); else moves
    /// `next_due` to the start of the window.
    fn apply(
        &self,
        now: DateTime<Utc>,
        passed: Reason,
        rotate: &mut Reasons,
        next_due: &mut Option<DateTime<Utc>>,
    ) {
        if self.at <= now {
            rotate.insert(passed);
        } else if self.renew_from <= now {
            rotate.insert(Reason::InRenewWindow);
        } else {
            *next_due = earliest(*next_due, Some(self.renew_from));
        }
    }
}

/// Decides what to do with one secret. Pure: the same arguments always give the same decision.
pub fn decide(subject: &Subject<'_>, defaults: &Defaults, now: DateTime<Utc>) -> Decision {
    let facts = subject.facts;
    if facts.vault_unreachable {
        // Nothing is known but that the vault could not be asked.
        let action = subject
            .record
            .map_or(Action::Escalate, |r| r.reactions.attestation_unavailable);
        return single(
            DecisionKind::Escalate,
            Reason::AttestationUnavailable,
            action == Action::Escalate,
            now,
        );
    }
    if !facts.enabled {
        return decide_disabled(subject, now);
    }
    if facts.quarantined {
        return single(DecisionKind::Escalate, Reason::Quarantined, true, now);
    }
    // A value that names an account its record does not approve: nothing
    // may be done in the target, whatever else is true.
    if facts.attested.is_some_and(|a| a.account_mismatch) {
        return single(DecisionKind::Escalate, Reason::AccountMismatch, true, now);
    }
    if subject.conflicting_records {
        return single(
            DecisionKind::Escalate,
            Reason::ConflictingRecords,
            true,
            now,
        );
    }
    let Some(record) = subject.record else {
        return match defaults.on_orphan {
            Action::Revoke => single(DecisionKind::Revoke, Reason::Orphan, false, now),
            Action::Escalate => single(DecisionKind::Escalate, Reason::Orphan, true, now),
            // Rotating needs a target, which an orphan has none of: config
            // validation refuses it, and it reads as a report here.
            Action::Rotate | Action::Retire | Action::Report => {
                single(DecisionKind::Escalate, Reason::Orphan, false, now)
            }
        };
    };

    let mut findings = Findings::default();
    let mut next_due: Option<DateTime<Utc>> = None;
    let renew_before = record.renew_before;

    // Approval lifetime.
    if let Some(expires) = record.expires {
        if expires <= now {
            findings.add(Reason::Expired, Action::Revoke);
        } else if expires - renew_before <= now {
            findings.add(Reason::ApprovalExpiring, Action::Escalate);
            next_due = earliest(next_due, Some(expires));
        } else {
            next_due = earliest(next_due, Some(expires - renew_before));
        }
    }

    // Owner.
    match subject.owner {
        Some(owner) if owner.status == OwnerStatus::Left => {
            findings.add(Reason::OwnerLeft, record.reactions.owner_left);
        }
        Some(_) => {}
        None if subject.owners_modelled => findings.add(Reason::OwnerUnknown, Action::Escalate),
        None => {}
    }
    // No longer in the record's owner group: as good as gone, for this record.
    if record
        .owner_group
        .as_ref()
        .is_some_and(|g| g.owner_left_at.is_some())
    {
        findings.add(Reason::OwnerLeft, record.reactions.owner_left);
    }
    if let Some(tag) = &facts.owner_tag
        && tag != &record.owner
    {
        findings.add(Reason::OwnerChanged, record.reactions.owner_changed);
    }

    // Workloads: the one the vault says holds the credential, or else every approved one.
    let tagged = facts.workload_tag.as_deref();
    if let Some(tag) = tagged
        && !record.workloads.is_empty()
        && !record.workloads.iter().any(|w| w == tag)
    {
        findings.add(Reason::WorkloadUnapproved, Action::Escalate);
    }
    let mut holders = 0usize;
    let mut decommissioned = 0usize;
    let mut moved_after_issue = false;
    let mut consider = |id: &str| {
        holders += 1;
        if let Some(workload) = (subject.workload)(id) {
            match workload.status {
                WorkloadStatus::Decommissioned => decommissioned += 1,
                WorkloadStatus::Moved => {
                    // Once rotated after the move, the move no longer matters.
                    let issued = facts.current_created_at;
                    if matches!((workload.since, issued), (Some(since), Some(issued)) if issued < since)
                        || workload.since.is_none()
                    {
                        moved_after_issue = true;
                    }
                }
                WorkloadStatus::Running => {}
            }
        }
    };
    match tagged {
        Some(tag) => consider(tag),
        None => record.workloads.iter().for_each(|w| consider(w)),
    }
    if holders > 0 && decommissioned == holders {
        findings.add(
            Reason::WorkloadDecommissioned,
            record.reactions.workload_decommissioned,
        );
    } else if moved_after_issue {
        findings.add(Reason::WorkloadMoved, record.reactions.workload_moved);
    }

    // Review.
    if let Some(review) = &record.last_review
        && review.decision == ReviewDecision::Revoke
    {
        findings.add(Reason::ReviewRevoked, Action::Revoke);
    }
    if let Some(review_by) = record.review_by {
        if review_by <= now {
            findings.add(Reason::ReviewLapsed, record.reactions.review_lapsed);
        } else {
            next_due = earliest(next_due, Some(review_by));
        }
    }

    // Privileges.
    if let Some(held) = &facts.privileges
        && held.iter().any(|p| !record.scopes.contains(p))
    {
        findings.narrow.insert(Reason::ScopeExcess);
    }

    // Age, schedule and the vault's own expiry.
    match facts.current_created_at {
        None => findings.rotate.insert(Reason::NoCurrentVersion),
        Some(created) => {
            if let Some(max_age) = record.max_age {
                let deadline = Deadline::new(created + max_age, renew_before);
                deadline.apply(
                    now,
                    Reason::MaxAgeExceeded,
                    &mut findings.rotate,
                    &mut next_due,
                );
            }
            if let Some(schedule) = &record.schedule {
                match schedule.next_after(created) {
                    Some(at) if at <= now => findings.rotate.insert(Reason::ScheduleDue),
                    at => next_due = earliest(next_due, at),
                }
            }
        }
    }
    if let Some(expires_at) = facts.expires_at {
        let deadline = Deadline::new(expires_at, renew_before);
        deadline.apply(
            now,
            Reason::SecretExpired,
            &mut findings.rotate,
            &mut next_due,
        );
    }

    // An active exception waives rotation and narrowing, never revocation.
    let mut waived = Reasons::EMPTY;
    let mut extra = Reasons::EMPTY;
    if let Some(exception) = &record.exception
        && exception.until > now
    {
        waived = findings.rotate.union(findings.narrow);
        findings.rotate = Reasons::EMPTY;
        findings.narrow = Reasons::EMPTY;
        extra.insert(Reason::ExceptionActive);
        next_due = earliest(next_due, Some(exception.until));
    }

    // An exposed value is replaced whatever the exception says.
    if let Some(exposed) = facts.exposed_at
        && facts
            .current_created_at
            .is_none_or(|created| created <= exposed)
    {
        findings.rotate.insert(Reason::SecretExposed);
    }

    // What attestation found: repairs an exception does not waive.
    if let Some(attested) = &facts.attested {
        let reactions = &record.reactions;
        if attested.credential_rejected {
            findings.add(Reason::CredentialRejected, reactions.credential_rejected);
        }
        if attested.retired_credential_alive {
            findings.add(
                Reason::RetiredCredentialAlive,
                reactions.retired_credential_alive,
            );
        }
        if attested.scope_missing {
            findings.add(Reason::ScopeMissing, reactions.scope_missing);
        }
        findings.add_attested(attested, reactions);
    }

    let kind = findings.kind();
    let reasons = findings.reasons().union(extra);
    Decision {
        kind,
        reasons,
        waived,
        next_due: if kind.is_action() {
            Some(now)
        } else {
            next_due
        },
        notify: !findings.escalate.is_empty(),
    }
}

/// A disabled (revoked) secret is compliant unless attestation found it
/// alive again, found a retired value still served, or could not look.
fn decide_disabled(subject: &Subject<'_>, now: DateTime<Utc>) -> Decision {
    let Some(attested) = &subject.facts.attested else {
        return single(DecisionKind::Compliant, Reason::Disabled, false, now);
    };
    let defaults = Reactions::default();
    let reactions = subject.record.map_or(&defaults, |r| &r.reactions);
    let mut findings = Findings::default();
    if attested.revocation_undone {
        findings.add(Reason::RevocationUndone, reactions.revocation_undone);
    }
    findings.add_attested(attested, reactions);
    let kind = findings.kind();
    if kind == DecisionKind::Compliant {
        return single(DecisionKind::Compliant, Reason::Disabled, false, now);
    }
    let mut reasons = findings.reasons();
    reasons.insert(Reason::Disabled);
    Decision {
        kind,
        reasons,
        waived: Reasons::EMPTY,
        next_due: kind.is_action().then_some(now),
        notify: !findings.escalate.is_empty(),
    }
}
