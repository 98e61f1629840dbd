//! [`Approval`]: one request for a second person to approve a destructive
//! action, and its transitions. Pure: the caller supplies the time, and
//! stores the result (compare-and-set on the status, so two approvers
//! racing cannot both win).
//!
//! ```text
//! pending --approve (another person, before expiry)--> approved --use (same decision)--> used
//!    |  \--reject--> rejected                              \--use (decision changed)--> stale
//!     \--expire (ttl passed)--> expired
//! ```

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actions that can require approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAction {
    /// Revoking a credential.
    Revoke,
    /// Cutting a credential's privileges.
    Narrow,
    /// Disabling an account discovery found and no record approves.
    DisableUnmanaged,
}

impl ApprovalAction {
    /// Every action, for parsing.
    pub const ALL: [Self; 3] = [Self::Revoke, Self::Narrow, Self::DisableUnmanaged];

    /// The stable name, as `[approvals] require` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Narrow => "narrow",
            Self::DisableUnmanaged => "disable_unmanaged",
        }
    }
}

impl FromStr for ApprovalAction {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| format!("{name:?} is not one of revoke, narrow, disable_unmanaged"))
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for an approver.
    Pending,
    /// Approved; runs at the next chance while the decision stands.
    Approved,
    /// Refused by an approver.
    Rejected,
    /// Nobody decided before it expired.
    Expired,
    /// Approved, but the decision changed before it ran: never runs.
    Stale,
    /// Approved and carried out.
    Used,
}

impl ApprovalStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Stale => "stale",
            Self::Used => "used",
        }
    }

    /// Whether the request is still open (pending or approved, unused).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Approved)
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// Four eyes: the requester cannot decide their own request.
    #[error("{0} asked for this action and cannot approve or reject it: another approver must")]
    OwnRequest(String),
    /// Only a pending request can be approved or rejected.
    #[error("the request is {} and can no longer be decided", .0.as_str())]
    NotPending(ApprovalStatus),
    /// The request expired before this decision.
    #[error("the request expired at {0}")]
    Expired(String),
}

/// What the action gate does with an approval when it is about to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Approved for this very decision: act, then mark it used.
    Run,
    /// Still waiting for an approver.
    Wait,
    /// Approved for a decision that has since changed: never run; ask again.
    Stale,
    /// Rejected, expired, stale or used: ask again if the decision stands.
    Closed,
}

/// One request for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Its id (what `/v1/approvals/{id}` and `tenure approve` take).
    pub id: String,
    /// What the action applies to: a secret's address, or `<target>/<login>`.
    pub subject: String,
    /// The action.
    pub action: ApprovalAction,
    /// The decision it was asked for (kind and reasons): it runs only while
    /// the decision made again under the lease is the same.
    pub fingerprint: String,
    /// The decision's reasons, for the approver.
    pub reasons: Vec<String>,
    /// Who asked: an operator's name, or `tenure` for a decision of its own.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// When it expires if nobody decides.
    pub expires_at: DateTime<Utc>,
    /// Where it stands.
    pub status: ApprovalStatus,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// When it was approved, rejected or expired (using it or finding it
    /// stale keeps the approver's time).
    pub decided_at: Option<DateTime<Utc>>,
}

impl Approval {
    /// Whether it expired by `now` without being decided.
    pub fn is_due_to_expire(&self, now: DateTime<Utc>) -> bool {
        self.status == ApprovalStatus::Pending && now >= self.expires_at
    }

    /// Expires it if its time has passed; whether it did.
    pub fn expire(&mut self, now: DateTime<Utc>) -> bool {
        if self.is_due_to_expire(now) {
            self.close(ApprovalStatus::Expired, now);
            true
        } else {
            false
        }
    }

    /// `by` approves it (or, with `approve` false, rejects it).
    pub fn decide(
        &mut self,
        by: &str,
        approve: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ApprovalError> {
        if self.status != ApprovalStatus::Pending {
            return Err(ApprovalError::NotPending(self.status));
        }
        if now >= self.expires_at {
            return Err(ApprovalError::Expired(tenure_plugin_api::stamp(
                self.expires_at,
            )));
        }
        if by == self.requested_by {
            return Err(ApprovalError::OwnRequest(by.to_owned()));
        }
        self.status = if approve {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Rejected
        };
        self.decided_by = Some(by.to_owned());
        self.decided_at = Some(now);
        Ok(())
    }

    /// What the gate does with it, the decision made again being
    /// `fingerprint`.
    pub fn admission(&self, fingerprint: &str, now: DateTime<Utc>) -> Admission {
        match self.status {
            ApprovalStatus::Pending if now < self.expires_at => Admission::Wait,
            ApprovalStatus::Approved if self.fingerprint == fingerprint => Admission::Run,
            ApprovalStatus::Approved => Admission::Stale,
            _ => Admission::Closed,
        }
    }

    /// Ends it as `status` (used, stale or expired) at `now`; an expiry
    /// records its time, using it or finding it stale keeps the approver's.
    pub fn close(&mut self, status: ApprovalStatus, now: DateTime<Utc>) {
        self.status = status;
        if status == ApprovalStatus::Expired {
            self.decided_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn pending() -> Approval {
        Approval {
            id: "a1".into(),
            subject: "local:demo/reports-token".into(),
            action: ApprovalAction::Revoke,
            fingerprint: "revoke:review_revoked".into(),
            reasons: vec!["review_revoked".into()],
            requested_by: "olga".into(),
            requested_at: now(),
            expires_at: now() + TimeDelta::hours(1),
            status: ApprovalStatus::Pending,
            decided_by: None,
            decided_at: None,
        }
    }

    #[test]
    fn only_another_person_decides_and_only_in_time() {
        let mut own = pending();
        assert_eq!(
            own.decide("olga", true, now()),
            Err(ApprovalError::OwnRequest("olga".into()))
        );
        assert_eq!(own.status, ApprovalStatus::Pending);

        let mut late = pending();
        let after = now() + TimeDelta::hours(2);
        assert!(matches!(
            late.decide("paul", true, after),
            Err(ApprovalError::Expired(_))
        ));
        assert!(late.expire(after));
        assert_eq!(late.status, ApprovalStatus::Expired);
        assert_eq!(
            late.admission("revoke:review_revoked", after),
            Admission::Closed
        );

        let mut approved = pending();
        approved.decide("paul", true, now()).expect("approve");
        assert_eq!(approved.decided_by.as_deref(), Some("paul"));
        assert_eq!(
            approved.decide("quinn", false, now()),
            Err(ApprovalError::NotPending(ApprovalStatus::Approved))
        );
        assert!(
            !approved.expire(now() + TimeDelta::hours(2)),
            "an approval does not expire"
        );

        let mut rejected = pending();
        rejected.decide("paul", false, now()).expect("reject");
        assert_eq!(rejected.status, ApprovalStatus::Rejected);
        assert_eq!(
            rejected.admission("revoke:review_revoked", now()),
            Admission::Closed
        );
    }

    #[test]
    fn an_approval_runs_only_the_decision_it_was_asked_for() {
        let mut approval = pending();
        assert_eq!(
            approval.admission("revoke:review_revoked", now()),
            Admission::Wait
        );
        approval.decide("paul", true, now()).expect("approve");
        assert_eq!(
            approval.admission("revoke:review_revoked", now()),
            Admission::Run
        );
        assert_eq!(
            approval.admission("revoke:owner_left", now()),
            Admission::Stale
        );
        approval.close(ApprovalStatus::Used, now());
        assert_eq!(
            approval.admission("revoke:review_revoked", now()),
            Admission::Closed
        );
    }

    #[test]
    fn actions_parse_by_their_names() {
        for action in ApprovalAction::ALL {
            assert_eq!(action.as_str().parse(), Ok(action));
        }
        assert!("delete".parse::<ApprovalAction>().is_err());
    }
}
