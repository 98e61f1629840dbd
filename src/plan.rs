//! Planning: inventory → facts → a decision for every secret, plus records
//! that match nothing. [`plan_facts`] is the pure core (benchmarked): it
//! allocates one small row per secret and no strings; [`Plan::entries`]
//! renders rows for output. [`gather`] does the I/O around it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tenure_plugin_api::{PluginError, SecretAddress, SecretMetadata, Stage, TargetContext};

use crate::config::Config;
use crate::governance::{Record, RecordMatch, SecretFacts};
use crate::plugins::Plugins;
use crate::policy::{Decision, DecisionKind, Reason, Subject, decide};
use crate::state::SecretState;

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
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A provider's inventory failed.
    #[error("provider {provider}: inventory failed: {source}")]
    Inventory {
        /// The provider.
        provider: String,
        /// The error.
        source: PluginError,
    },
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
    })
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
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
    }
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
        PlanEntry {
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
        }
    }

    /// Every line: secrets in address order, then dangling records.
    pub fn entries<'a>(&self, config: &'a Config) -> Vec<PlanEntry<'a>> {
        self.secrets
            .iter()
            .map(|p| self.entry(config, p))
            .chain(
                self.dangling
                    .iter()
                    .map(|&r| Self::dangling_entry(config, r)),
            )
            .collect()
    }
}

/// Reads every provider's inventory and gathers facts (quarantine from the
/// state store; privileges from targets that can report them, for records
/// that approve scopes).
pub async fn gather(
    config: &Config,
    plugins: &Plugins,
    states: &HashMap<String, SecretState>,
) -> Result<Vec<SecretFacts>, PlanError> {
    let mut all = Vec::new();
    for (name, provider) in plugins.providers() {
        let inventory = provider
            .list()
            .await
            .map_err(|source| PlanError::Inventory {
                provider: name.clone(),
                source,
            })?;
        all.extend(
            inventory
                .iter()
                .filter_map(|meta| facts_with_state(name, meta, states)),
        );
    }
    all.sort_by(|a, b| a.address.cmp(&b.address));
    let mut seen = HashSet::new();
    for facts in &mut all {
        if facts.enabled && seen.insert(facts.address.clone()) {
            read_privileges(config, plugins, facts).await;
        }
    }
    Ok(all)
}

/// Describes `changed` again and puts their fresh facts in `all` (a secret
/// no longer in its vault leaves it; `states` needs only theirs): after a pass acted on a few secrets,
/// the plan is brought up to date without listing every vault again.
pub async fn refresh(
    config: &Config,
    plugins: &Plugins,
    states: &HashMap<String, SecretState>,
    all: &mut Vec<SecretFacts>,
    changed: &[SecretAddress],
) -> Result<(), PlanError> {
    let stale: HashSet<&SecretAddress> = changed.iter().collect();
    all.retain(|f| !stale.contains(&f.address));
    for address in changed {
        let Some(provider) = plugins.provider(address.provider()) else {
            continue;
        };
        let meta = match provider.describe(address.path()).await {
            Ok(meta) => meta,
            Err(err) if err.kind() == tenure_plugin_api::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(PlanError::Inventory {
                    provider: address.provider().to_owned(),
                    source,
                });
            }
        };
        let Some(mut facts) = facts_with_state(address.provider(), &meta, states) else {
            continue;
        };
        if facts.enabled {
            read_privileges(config, plugins, &mut facts).await;
        }
        all.push(facts);
    }
    all.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(())
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

/// Reads the privileges a credential holds, when its record limits them
/// (scopes) and its target can tell.
async fn read_privileges(config: &Config, plugins: &Plugins, facts: &mut SecretFacts) {
    let governance = &config.governance;
    let RecordMatch::One(i) = governance.index.find(&facts.address) else {
        return;
    };
    let record = &governance.records[i];
    let Some(target) = plugins.target(&record.target) else {
        return;
    };
    if record.scopes.is_empty() || !target.capabilities().narrow {
        return;
    }
    let Some(provider) = plugins.provider(facts.address.provider()) else {
        return;
    };
    let Ok(current) = provider.read(facts.address.path(), Stage::Current).await else {
        return;
    };
    let ctx = TargetContext {
        address: &facts.address,
        run_id: "plan",
        scopes: &record.scopes,
    };
    match target.privileges(ctx, &current).await {
        Ok(privileges) => facts.privileges = privileges,
        Err(err) => {
            tracing::warn!(secret = %facts.address, error = %err, "Could not read the privileges of the credential.");
        }
    }
}
