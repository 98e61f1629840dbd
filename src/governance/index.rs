//! [`RecordIndex`]: which record governs an address.
//!
//! Exact addresses win over globs; among globs the one with the longest
//! literal prefix wins; two globs equally specific are a conflict the plan
//! reports. Lookup is one hash probe plus one `GlobSet` match, so planning a
//! million secrets stays linear.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use tenure_plugin_api::SecretAddress;

use super::{Record, Selector};

/// The result of looking up an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMatch {
    /// Governed by the record at this index.
    One(usize),
    /// No record: an orphan.
    None,
    /// Two or more equally specific globs.
    Conflict(usize, usize),
}

/// An index over records, built once per configuration.
#[derive(Debug, Clone)]
pub struct RecordIndex {
    exact: HashMap<SecretAddress, usize>,
    globs: GlobSet,
    glob_records: Vec<(usize, usize)>,
}

/// The number of characters before the first glob metacharacter.
fn literal_prefix_len(pattern: &str) -> usize {
    pattern.find(['*', '?', '[', '{']).unwrap_or(pattern.len())
}

/// Compiles one selector glob; `*` does not cross `/`.
pub fn compile_glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

impl RecordIndex {
    /// Builds the index; records must have valid selectors (checked at config load).
    pub fn new(records: &[Record]) -> Result<Self, globset::Error> {
        let mut exact = HashMap::new();
        let mut builder = GlobSetBuilder::new();
        let mut glob_records = Vec::new();
        for (i, record) in records.iter().enumerate() {
            match &record.selector {
                Selector::Exact(address) => {
                    exact.entry(address.clone()).or_insert(i);
                }
                Selector::Glob(pattern) => {
                    builder.add(compile_glob(pattern)?);
                    glob_records.push((i, literal_prefix_len(pattern)));
                }
            }
        }
        Ok(Self {
            exact,
            globs: builder.build()?,
            glob_records,
        })
    }

    /// Finds the record for `address`: one hash probe, then the globs.
    pub fn find(&self, address: &SecretAddress) -> RecordMatch {
        self.find_with(address, &mut String::new())
    }

    /// [`RecordIndex::find`], rendering the address for glob matching into
    /// `buffer` (reused across calls, so a large plan does not allocate per secret).
    pub fn find_with(&self, address: &SecretAddress, buffer: &mut String) -> RecordMatch {
        if let Some(&i) = self.exact.get(address) {
            return RecordMatch::One(i);
        }
        if self.glob_records.is_empty() {
            return RecordMatch::None;
        }
        buffer.clear();
        buffer.push_str(address.provider());
        buffer.push(':');
        buffer.push_str(address.path());
        let address = buffer.as_str();
        let mut best: Option<(usize, usize)> = None;
        let mut tie: Option<usize> = None;
        for glob in self.globs.matches(address) {
            let (record, specificity) = self.glob_records[glob];
            match best {
                None => best = Some((record, specificity)),
                Some((_, s)) if specificity > s => {
                    best = Some((record, specificity));
                    tie = None;
                }
                Some((_, s)) if specificity == s => tie = Some(record),
                Some(_) => {}
            }
        }
        match (best, tie) {
            (None, _) => RecordMatch::None,
            (Some((record, _)), None) => RecordMatch::One(record),
            (Some((a, _)), Some(b)) => RecordMatch::Conflict(a.min(b), a.max(b)),
        }
    }
}
