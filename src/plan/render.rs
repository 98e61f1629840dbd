//! Rendering a plan: one [`PlanEntry`] per secret, dangling record,
//! unreadable provider and unmanaged account, as printed and logged.

use serde::Serialize;
use tenure_plugin_api::stamp;

use super::lineage::Lineage;
use super::{Plan, Planned};
use crate::config::Config;
use crate::governance::{Record, SecretFacts};
use crate::policy::{Decision, DecisionKind, Reason};
use crate::state::UnmanagedRow;

/// One line of a plan, as printed and logged.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry<'a> {
    /// The secret's address (for a dangling record, its selector).
    pub secret: String,
    /// compliant, rotate, narrow, revoke or escalate.
    pub decision: &'static str,
    /// Machine-readable reasons.
    pub reasons: Vec<&'static str>,
    /// Reasons an active exception waived.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<&'static str>,
    /// When the decision may change next (RFC 3339), if ever.
    pub next_due: Option<String>,
    /// The governing record, if any.
    pub record: Option<&'a str>,
    /// The record's owner, if any.
    pub owner: Option<&'a str>,
    /// Whether the owner should be told.
    pub notify: bool,
    /// When the secret was last attested (RFC 3339), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attested: Option<String>,
    /// The latest attestation's result: ok, drift or unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<&'static str>,
    /// For an account row: the target that holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For an account row: the login no governed secret names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// For an unreadable provider or an account: what was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The approval request the decided action waits for, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_approval: Option<String>,
    /// The record's approval lineage, if a record governs the line.
    #[serde(flatten)]
    pub lineage: Option<Lineage<'a>>,
}

/// The result word of an attestation, from the facts and the decision it led to.
fn attestation_result(facts: &SecretFacts, decision: &Decision) -> Option<&'static str> {
    let attested = facts.attested.as_ref()?;
    let drift = attested.account_mismatch
        || attested.credential_rejected
        || attested.revocation_undone
        || attested.retired_credential_alive
        || attested.retired_value_readable
        || attested.scope_missing
        || decision.reasons.contains(Reason::ScopeExcess);
    Some(if drift {
        "drift"
    } else if attested.unavailable {
        "unavailable"
    } else {
        "ok"
    })
}

impl Plan {
    /// The plan line of one secret.
    pub fn entry<'a>(&self, config: &'a Config, planned: &Planned) -> PlanEntry<'a> {
        let record: Option<&'a Record> = planned.record.map(|i| &config.governance.records[i]);
        let d = planned.decision;
        let facts = &self.facts[planned.facts];
        PlanEntry {
            last_attested: facts.attested.map(|a| stamp(a.at)),
            attestation: attestation_result(facts, &d),
            target: None,
            account: None,
            detail: None,
            secret: self.address(planned).to_string(),
            decision: d.kind.as_str(),
            reasons: d.reasons.names(),
            waived: d.waived.names(),
            next_due: d.next_due.map(stamp),
            record: record.map(|r| r.id.as_str()),
            owner: record.map(|r| r.owner.as_str()),
            notify: d.notify,
            pending_approval: self
                .pending
                .get(&self.address(planned).to_string())
                .cloned(),
            lineage: record.map(Lineage::of),
        }
    }

    /// The plan line of a dangling record.
    pub fn dangling_entry<'a>(config: &'a Config, record: usize) -> PlanEntry<'a> {
        let record = &config.governance.records[record];
        PlanEntry {
            secret: record.selector.to_string(),
            decision: DecisionKind::Escalate.as_str(),
            reasons: vec![Reason::DanglingRecord.as_str()],
            waived: Vec::new(),
            next_due: None,
            record: Some(&record.id),
            owner: Some(&record.owner),
            notify: true,
            last_attested: None,
            attestation: None,
            target: None,
            account: None,
            detail: None,
            pending_approval: None,
            lineage: Some(Lineage::of(record)),
        }
    }

    /// The plan line of a provider whose inventory could not be read.
    fn outage_entry<'a>(provider: &str, error: &str) -> PlanEntry<'a> {
        PlanEntry {
            secret: format!("{provider}:*"),
            decision: DecisionKind::Escalate.as_str(),
            reasons: vec![Reason::AttestationUnavailable.as_str()],
            waived: Vec::new(),
            next_due: None,
            record: None,
            owner: None,
            notify: true,
            last_attested: None,
            attestation: Some("unavailable"),
            target: None,
            account: None,
            detail: Some(format!("the inventory could not be read: {error}")),
            pending_approval: None,
            lineage: None,
        }
    }

    /// The plan line of an account no governed secret names.
    fn unmanaged_entry<'a>(row: &UnmanagedRow) -> PlanEntry<'a> {
        let disabled = row.state == "disabled";
        let mut reasons = vec![Reason::UnmanagedAccount.as_str()];
        if disabled {
            reasons.push(Reason::Disabled.as_str());
        }
        PlanEntry {
            secret: format!("{}/{}", row.target, row.login),
            decision: if disabled {
                DecisionKind::Compliant.as_str()
            } else {
                DecisionKind::Escalate.as_str()
            },
            reasons,
            waived: Vec::new(),
            next_due: None,
            record: None,
            owner: None,
            notify: false,
            last_attested: Some(stamp(row.last_seen)),
            attestation: None,
            target: Some(row.target.clone()),
            account: Some(row.login.clone()),
            detail: Some(row.detail.clone()).filter(|d| !d.is_empty()),
            pending_approval: None,
            lineage: None,
        }
    }

    /// Every line: secrets in address order, then dangling records,
    /// unreadable providers and unmanaged accounts.
    pub fn entries<'a>(&self, config: &'a Config) -> Vec<PlanEntry<'a>> {
        self.secrets
            .iter()
            .map(|p| self.entry(config, p))
            .chain(
                self.dangling
                    .iter()
                    .map(|&r| Self::dangling_entry(config, r)),
            )
            .chain(
                self.outages
                    .iter()
                    .map(|(provider, error)| Self::outage_entry(provider, error)),
            )
            .chain(self.unmanaged.iter().map(Self::unmanaged_entry))
            .collect()
    }
}
