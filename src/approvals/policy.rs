//! [`ApprovalPolicy`]: which decided actions wait for a second person
//! (`[approvals] require`), which reasons are urgent enough to bypass that
//! (`bypass`, by default an exposed secret and an owner who left), and how
//! long a request waits before it expires (`ttl`).

use std::collections::BTreeSet;
use std::time::Duration;

use super::ApprovalAction;
use crate::policy::{Reason, Reasons};

/// When an action needs an approver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalPolicy {
    /// The actions that wait for approval.
    pub require: BTreeSet<ApprovalAction>,
    /// Reasons that let an action run without approval when they are among
    /// the decision's reasons.
    pub bypass: BTreeSet<Reason>,
    /// How long a request waits for an approver.
    pub ttl: Duration,
    /// The service's public URL, for the links in approval notifications
    /// (`None`: the links are paths, `/v1/approvals/<id>`).
    pub api_url: Option<String>,
}

impl Default for ApprovalPolicy {
    /// Nothing requires approval; were it required, an exposed secret and
    /// an owner who left would bypass it, and a request would live a day.
    fn default() -> Self {
        Self {
            require: BTreeSet::new(),
            bypass: [Reason::SecretExposed, Reason::OwnerLeft].into(),
            ttl: Duration::from_secs(24 * 3600),
            api_url: None,
        }
    }
}

impl ApprovalPolicy {
    /// Whether `action`, decided for `reasons`, must wait for an approver;
    /// `record_require` is the governing record's `require_approval`, which
    /// replaces `require` when set.
    pub fn needs(
        &self,
        action: ApprovalAction,
        reasons: &Reasons,
        record_require: Option<&BTreeSet<ApprovalAction>>,
    ) -> bool {
        record_require.unwrap_or(&self.require).contains(&action)
            && !self.bypass.iter().any(|r| reasons.contains(*r))
    }

    /// Where an approver finds request `id`.
    pub fn link(&self, id: &str) -> String {
        format!(
            "{}/v1/approvals/{id}",
            self.api_url.as_deref().unwrap_or("")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(list: &[Reason]) -> Reasons {
        let mut reasons = Reasons::default();
        for reason in list {
            reasons.insert(*reason);
        }
        reasons
    }

    #[test]
    fn required_actions_wait_unless_an_urgent_reason_bypasses() {
        let policy = ApprovalPolicy {
            require: [ApprovalAction::Revoke, ApprovalAction::Narrow].into(),
            ..ApprovalPolicy::default()
        };
        let cases = [
            (ApprovalAction::Revoke, vec![Reason::ReviewRevoked], true),
            (ApprovalAction::Narrow, vec![Reason::ScopeExcess], true),
            (
                ApprovalAction::DisableUnmanaged,
                vec![Reason::UnmanagedAccount],
                false,
            ),
            (ApprovalAction::Revoke, vec![Reason::OwnerLeft], false),
            (
                ApprovalAction::Revoke,
                vec![Reason::Expired, Reason::SecretExposed],
                false,
            ),
        ];
        for (action, list, needs) in cases {
            assert_eq!(
                policy.needs(action, &reasons(&list), None),
                needs,
                "{action:?} {list:?}"
            );
        }
        let strict = ApprovalPolicy {
            bypass: BTreeSet::new(),
            ..policy
        };
        assert!(strict.needs(ApprovalAction::Revoke, &reasons(&[Reason::OwnerLeft]), None));
        assert!(!ApprovalPolicy::default().needs(ApprovalAction::Revoke, &reasons(&[]), None));
        let only_narrow = [ApprovalAction::Narrow].into();
        assert!(
            !strict.needs(ApprovalAction::Revoke, &reasons(&[]), Some(&only_narrow)),
            "a record's require_approval replaces the global list"
        );
        assert!(strict.needs(ApprovalAction::Narrow, &reasons(&[]), Some(&only_narrow)));
        assert_eq!(strict.link("a1"), "/v1/approvals/a1");
    }
}
