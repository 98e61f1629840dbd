//! Planning: inventory → facts → a decision for every secret, plus records
//! that match nothing, providers that could not be read and accounts no
//! record approves. [`plan_facts`] is the pure core (benchmarked): it
//! allocates one small row per secret and no strings; [`Plan::entries`]
//! renders rows for output. [`gather`] does the I/O around it: vault
//! inventories only; what targets said comes from recorded attestations.

use std::collections::{HashMap, HashSet};
use tenure_plugin_api::stamp;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tenure_plugin_api::{PluginError, SecretAddress, SecretMetadata};

use crate::config::Config;
use crate::governance::{Record, RecordMatch, SecretFacts};
use crate::plugins::Plugins;
use crate::policy::{Decision, DecisionKind, Reason, Subject, decide};
use crate::state::{AttestationRow, SecretState, UnmanagedRow};

/// The decision for one secret: indices into the facts and the records.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// Index into the facts the plan was made from.
    pub facts: usize,
    /// The decision.
    pub decision: Decision,
    /// Index of the governing record in `config.governance.records`.
    pub record: Option<usize>,
}

/// A plan over a set of facts.
#[derive(Debug)]
pub struct Plan {
    /// The facts, sorted by address.
    pub facts: Vec<SecretFacts>,
    /// One decision per secret, in the order of `facts`.
    pub secrets: Vec<Planned>,
    /// Records that match no secret.
    pub dangling: Vec<usize>,
    /// Providers whose inventory could not be read: name and error.
    pub outages: Vec<(String, String)>,
    /// Accounts discovery found that no governed secret names.
    pub unmanaged: Vec<UnmanagedRow>,
}

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
}

/// Facts from a provider's metadata (privileges and quarantine are added by the caller).
pub fn facts_from(provider: &str, meta: &SecretMetadata) -> Option<SecretFacts> {
    let address = SecretAddress::new(provider, meta.path.clone()).ok()?;
    Some(SecretFacts {
        address,
        current_created_at: meta.current_created_at(),
        owner_tag: meta.tags.get("owner").cloned(),
        workload_tag: meta.tags.get("workload").cloned(),
        enabled: meta.enabled,
        expires_at: meta.expires_at,
        privileges: None,
        quarantined: false,
        exposed_at: None,
        attested: None,
        vault_unreachable: false,
    })
}

/// Decides one secret against the configuration.
pub fn decide_facts(
    config: &Config,
    facts: &SecretFacts,
    now: DateTime<Utc>,
) -> (Decision, Option<usize>) {
    decide_with(config, facts, now, &mut String::new())
}

fn decide_with(
    config: &Config,
    facts: &SecretFacts,
    now: DateTime<Utc>,
    buffer: &mut String,
) -> (Decision, Option<usize>) {
    let governance = &config.governance;
    let (record, conflicting) = match governance.index.find_with(&facts.address, buffer) {
        RecordMatch::One(i) => (Some(i), false),
        RecordMatch::None => (None, false),
        RecordMatch::Conflict(a, _) => (Some(a), true),
    };
    let record_ref = record.map(|i| &governance.records[i]);
    let lookup = |id: &str| governance.workloads.get(id);
    let subject = Subject {
        facts,
        record: record_ref,
        conflicting_records: conflicting,
        owner: record_ref.and_then(|r| governance.owners.get(&r.owner)),
        owners_modelled: governance.owners_modelled(),
        workload: &lookup,
    };
    (decide(&subject, &config.defaults, now), record)
}

/// The pure planner: a decision for every secret, then the dangling records.
pub fn plan_facts(config: &Config, facts: Vec<SecretFacts>, now: DateTime<Utc>) -> Plan {
    let mut matched = vec![false; config.governance.records.len()];
    let mut buffer = String::new();
    let secrets = facts
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (decision, record) = decide_with(config, f, now, &mut buffer);
            if let Some(r) = record {
                matched[r] = true;
            }
            Planned {
                facts: i,
                decision,
                record,
            }
        })
        .collect();
    let dangling = matched
        .iter()
        .enumerate()
        .filter(|(_, m)| !**m)
        .map(|(i, _)| i)
        .collect();
    Plan {
        facts,
        secrets,
        dangling,
        outages: Vec::new(),
        unmanaged: Vec::new(),
    }
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
    /// The address of a planned secret.
    pub fn address(&self, planned: &Planned) -> &SecretAddress {
        &self.facts[planned.facts].address
    }

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

/// A provider whose inventory could not be read.
#[derive(Debug, Clone)]
pub struct Outage {
    /// The provider.
    pub provider: String,
    /// Why.
    pub error: PluginError,
}

/// Every provider's inventory: facts and metadata of each secret, and the
/// providers that could not be read. One provider's outage never hides the
/// others' secrets: its known secrets are listed as unreachable.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The facts, sorted by address.
    pub facts: Vec<SecretFacts>,
    /// The metadata each secret's facts came from.
    pub metadata: HashMap<SecretAddress, SecretMetadata>,
    /// Providers whose inventory failed.
    pub outages: Vec<Outage>,
}

/// Reads every provider's inventory and gathers facts, with the quarantine
/// flag from `states` and the latest attestation from `attestations` (a
/// plan decides from recorded results; it asks no target). A provider that
/// fails lists each secret known of it (from `attestations`, `states` and
/// the exact addresses of records) as unreachable.
pub async fn gather(
    config: &Config,
    plugins: &Plugins,
    states: &HashMap<String, SecretState>,
    attestations: &HashMap<String, AttestationRow>,
) -> Inventory {
    let mut inventory = Inventory::default();
    for (name, provider) in plugins.providers() {
        match provider.list().await {
            Ok(listed) => {
                for meta in listed {
                    if let Some(facts) = facts_with_state(name, &meta, states) {
                        inventory.metadata.insert(facts.address.clone(), meta);
                        inventory.facts.push(facts);
                    }
                }
            }
            Err(error) => {
                tracing::error!(provider = %name, error = %error, "Could not read the inventory of provider {name}; its secrets are unavailable this pass.");
                inventory
                    .facts
                    .extend(
                        known_addresses(config, name, states, attestations).map(|address| {
                            let mut facts = SecretFacts::new(address, None);
                            facts.vault_unreachable = true;
                            facts
                        }),
                    );
                inventory.outages.push(Outage {
                    provider: name.clone(),
                    error,
                });
            }
        }
    }
    inventory.facts.sort_by(|a, b| a.address.cmp(&b.address));
    inventory.facts.dedup_by(|a, b| a.address == b.address);
    overlay_attestations(&mut inventory.facts, attestations);
    inventory
}

/// The addresses of `provider` that Tenure knows without asking it.
fn known_addresses<'a>(
    config: &'a Config,
    provider: &'a str,
    states: &'a HashMap<String, SecretState>,
    attestations: &'a HashMap<String, AttestationRow>,
) -> impl Iterator<Item = SecretAddress> + 'a {
    let exact = config
        .governance
        .records
        .iter()
        .filter_map(|r| match &r.selector {
            crate::governance::Selector::Exact(address) => Some(address.clone()),
            crate::governance::Selector::Glob(_) => None,
        });
    let stored = attestations
        .keys()
        .chain(states.keys())
        .filter_map(|key| key.parse::<SecretAddress>().ok());
    let mut seen = HashSet::new();
    exact
        .chain(stored)
        .filter(move |a| a.provider() == provider)
        .filter(move |a| seen.insert(a.clone()))
}

/// Puts each secret's latest recorded attestation into its facts.
pub fn overlay_attestations(
    facts: &mut [SecretFacts],
    attestations: &HashMap<String, AttestationRow>,
) {
    if attestations.is_empty() {
        return;
    }
    for f in facts.iter_mut().filter(|f| !f.vault_unreachable) {
        if let Some(row) = attestations.get(&f.address.to_string()) {
            let (attested, privileges) = crate::attest::facts_of(row);
            f.attested = Some(attested);
            f.privileges = privileges;
        }
    }
}

impl Inventory {
    /// Describes `changed` again and puts their fresh facts in (a secret no
    /// longer in its vault leaves; one its vault cannot describe now keeps
    /// its facts): after a pass acted on a few secrets, the plan is brought
    /// up to date without listing every vault again. `states` needs only
    /// theirs.
    pub async fn refresh(
        &mut self,
        plugins: &Plugins,
        states: &HashMap<String, SecretState>,
        attestations: &HashMap<String, AttestationRow>,
        changed: &[SecretAddress],
    ) {
        for address in changed {
            let Some(provider) = plugins.provider(address.provider()) else {
                continue;
            };
            let meta = match provider.describe(address.path()).await {
                Ok(meta) => meta,
                Err(err) if err.kind() == tenure_plugin_api::ErrorKind::NotFound => {
                    self.facts.retain(|f| &f.address != address);
                    self.metadata.remove(address);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(secret = %address, error = %err, "Could not describe {address} again after acting on it.");
                    continue;
                }
            };
            let Some(mut facts) = facts_with_state(address.provider(), &meta, states) else {
                continue;
            };
            overlay_attestations(std::slice::from_mut(&mut facts), attestations);
            self.metadata.insert(address.clone(), meta);
            match self.facts.binary_search_by(|f| f.address.cmp(address)) {
                Ok(i) => self.facts[i] = facts,
                Err(i) => self.facts.insert(i, facts),
            }
        }
    }
}

/// A secret's facts with its quarantine flag from `states`; `None` (logged)
/// for a path that is not a valid address.
fn facts_with_state(
    provider: &str,
    meta: &SecretMetadata,
    states: &HashMap<String, SecretState>,
) -> Option<SecretFacts> {
    let Some(mut facts) = facts_from(provider, meta) else {
        tracing::warn!(provider = %provider, "Skipped a secret whose path is not a valid address.");
        return None;
    };
    facts.quarantined = states
        .get(&facts.address.to_string())
        .is_some_and(|s| s.quarantined);
    Some(facts)
}
