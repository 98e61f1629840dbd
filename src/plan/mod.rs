//! Planning: inventory → facts → a decision for every secret, plus records
//! that match nothing, providers that could not be read and accounts no
//! record approves. [`plan_facts`] is the pure core (benchmarked): it
//! allocates one small row per secret and no strings; [`Plan::entries`]
//! renders rows for output (`render`). [`gather`] does the I/O around it
//! (`inventory`): vault inventories only; what targets said comes from
//! recorded attestations.
//!
//! This file: the plan's data types and the pure planner.

mod inventory;
mod lineage;
mod render;

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

use crate::config::Config;
use crate::governance::{RecordMatch, SecretFacts};
use crate::policy::{Decision, Subject, decide};
use crate::state::UnmanagedRow;

pub use inventory::{Inventory, Outage, facts_from, gather, overlay_attestations};
pub use render::PlanEntry;

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
    /// Secrets whose decided action waits for an approver: the request's id.
    pub pending: std::collections::HashMap<String, String>,
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
        pending: std::collections::HashMap::new(),
    }
}

impl Plan {
    /// The address of a planned secret.
    pub fn address(&self, planned: &Planned) -> &SecretAddress {
        &self.facts[planned.facts].address
    }
}
