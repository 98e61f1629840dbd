//! [`Governance`]: all records, owners and workloads of one configuration, indexed.

use std::collections::HashMap;

use super::{Owner, Record, RecordIndex, Workload};

/// The approved state (records) and today's facts about people and workloads.
#[derive(Debug, Clone)]
pub struct Governance {
    /// Records, in the order they were read.
    pub records: Vec<Record>,
    /// Finds the record for an address.
    pub index: RecordIndex,
    /// Owners by id.
    pub owners: HashMap<String, Owner>,
    /// Workloads by id.
    pub workloads: HashMap<String, Workload>,
    /// Whether the files list owners at all (then an unknown owner is a finding).
    owners_listed: bool,
}

impl Governance {
    /// Indexes records, owners and workloads (selectors were checked at load).
    pub fn new(
        records: Vec<Record>,
        owners: Vec<Owner>,
        workloads: Vec<Workload>,
    ) -> Result<Self, globset::Error> {
        let index = RecordIndex::new(&records)?;
        Ok(Self {
            owners_listed: !owners.is_empty(),
            records,
            index,
            owners: owners.into_iter().map(|o| (o.id.clone(), o)).collect(),
            workloads: workloads.into_iter().map(|w| (w.id.clone(), w)).collect(),
        })
    }

    /// Whether owners are modelled at all (then an unknown owner is a finding).
    pub fn owners_modelled(&self) -> bool {
        self.owners_listed
    }
}
