//! [`Reason`]: why a decision was made, as stable machine-readable names.

/// One reason. The names are part of the plan's JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    /// The secret is disabled in its vault: nothing left to do.
    Disabled,
    /// Quarantined after repeated failures: a person must release it.
    Quarantined,
    /// No governance record matches the secret.
    Orphan,
    /// Two equally specific records match the secret.
    ConflictingRecords,
    /// A record matches no secret.
    DanglingRecord,
    /// The approval's `expires` has passed.
    Expired,
    /// The approval's `expires` is within `renew_before`: it must be renewed by a person.
    ApprovalExpiring,
    /// The owner has left.
    OwnerLeft,
    /// The record's owner is not among the known owners.
    OwnerUnknown,
    /// The vault's owner tag differs from the record's owner.
    OwnerChanged,
    /// A workload holding the credential has moved.
    WorkloadMoved,
    /// Every workload holding the credential is decommissioned.
    WorkloadDecommissioned,
    /// The vault's workload tag names a workload the record does not approve.
    WorkloadUnapproved,
    /// The review date has passed.
    ReviewLapsed,
    /// The credential holds privileges beyond the approved scopes.
    ScopeExcess,
    /// The current version is older than `max_age`.
    MaxAgeExceeded,
    /// The current version is within `renew_before` of `max_age` or of the vault's own expiry.
    InRenewWindow,
    /// A scheduled rotation time has passed since the current version was written.
    ScheduleDue,
    /// The vault's own expiry has passed.
    SecretExpired,
    /// The secret has no current version.
    NoCurrentVersion,
    /// An approved exception is active; rotation and narrowing are waived.
    ExceptionActive,
    /// The value was reported exposed after the current version was written.
    SecretExposed,
    /// Attestation: the vault's current value no longer logs in.
    CredentialRejected,
    /// Attestation: a revoked credential (or its vault entry) works again.
    RevocationUndone,
    /// Attestation: a retired credential still logs in, or its login was
    /// enabled again.
    RetiredCredentialAlive,
    /// Attestation: the vault still serves a value that was retired or
    /// revoked (an old version or stage).
    RetiredValueReadable,
    /// Attestation: an approved scope is not held.
    ScopeMissing,
    /// Attestation: the target or the vault could not be asked; never compliant.
    AttestationUnavailable,
    /// Discovery: an account no governed secret names.
    UnmanagedAccount,
    /// The secret's value names an account its record does not approve:
    /// nothing is done in the target.
    AccountMismatch,
    /// An access review decided the access ends.
    ReviewRevoked,
}

impl Reason {
    /// Every reason, in declaration order.
    pub const ALL: [Reason; 31] = [
        Self::Disabled,
        Self::Quarantined,
        Self::Orphan,
        Self::ConflictingRecords,
        Self::DanglingRecord,
        Self::Expired,
        Self::ApprovalExpiring,
        Self::OwnerLeft,
        Self::OwnerUnknown,
        Self::OwnerChanged,
        Self::WorkloadMoved,
        Self::WorkloadDecommissioned,
        Self::WorkloadUnapproved,
        Self::ReviewLapsed,
        Self::ScopeExcess,
        Self::MaxAgeExceeded,
        Self::InRenewWindow,
        Self::ScheduleDue,
        Self::SecretExpired,
        Self::NoCurrentVersion,
        Self::ExceptionActive,
        Self::SecretExposed,
        Self::CredentialRejected,
        Self::RevocationUndone,
        Self::RetiredCredentialAlive,
        Self::RetiredValueReadable,
        Self::ScopeMissing,
        Self::AttestationUnavailable,
        Self::UnmanagedAccount,
        Self::AccountMismatch,
        Self::ReviewRevoked,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Quarantined => "quarantined",
            Self::Orphan => "orphan",
            Self::ConflictingRecords => "conflicting_records",
            Self::DanglingRecord => "dangling_record",
            Self::Expired => "expired",
            Self::ApprovalExpiring => "approval_expiring",
            Self::OwnerLeft => "owner_left",
            Self::OwnerUnknown => "owner_unknown",
            Self::OwnerChanged => "owner_changed",
            Self::WorkloadMoved => "workload_moved",
            Self::WorkloadDecommissioned => "workload_decommissioned",
            Self::WorkloadUnapproved => "workload_unapproved",
            Self::ReviewLapsed => "review_lapsed",
            Self::ScopeExcess => "scope_excess",
            Self::MaxAgeExceeded => "max_age_exceeded",
            Self::InRenewWindow => "in_renew_window",
            Self::ScheduleDue => "schedule_due",
            Self::SecretExpired => "secret_expired",
            Self::NoCurrentVersion => "no_current_version",
            Self::ExceptionActive => "exception_active",
            Self::SecretExposed => "secret_exposed",
            Self::CredentialRejected => "credential_rejected",
            Self::RevocationUndone => "revocation_undone",
            Self::RetiredCredentialAlive => "retired_credential_alive",
            Self::RetiredValueReadable => "retired_value_readable",
            Self::ScopeMissing => "scope_missing",
            Self::AttestationUnavailable => "attestation_unavailable",
            Self::UnmanagedAccount => "unmanaged_account",
            Self::AccountMismatch => "account_mismatch",
            Self::ReviewRevoked => "review_revoked",
        }
    }

    /// Parses a name produced by [`Reason::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of reasons in a `u64`: copying a decision never allocates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Reasons(u64);

impl Reasons {
    /// The empty set.
    pub const EMPTY: Reasons = Reasons(0);

    /// Adds a reason.
    pub fn insert(&mut self, reason: Reason) {
        self.0 |= 1u64 << reason as u8;
    }

    /// Whether the set holds `reason`.
    pub fn contains(self, reason: Reason) -> bool {
        self.0 & (1u64 << reason as u8) != 0
    }

    /// Both sets together.
    #[must_use]
    pub fn union(self, other: Reasons) -> Reasons {
        Reasons(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The reasons, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The names, in declaration order.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Reason::as_str).collect()
    }
}

impl FromIterator<Reason> for Reasons {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Self {
        let mut set = Reasons::EMPTY;
        for reason in iter {
            set.insert(reason);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fit_in_the_set() {
        assert!(Reason::ALL.len() <= 64);
        for reason in Reason::ALL {
            assert_eq!(Reason::from_name(reason.as_str()), Some(reason));
        }
    }
}
