//! The approved state and today's facts.
//!
//! - [`Record`]: a governance record, the approved state of one secret or of
//!   every secret a glob selects (owner, purpose, workloads, lifetime, scopes,
//!   approval lineage, review date, exception, reactions).
//! - [`Review`]: a completed access review laid over a record.
//! - [`Owner`] and [`Workload`]: what is true of people and workloads now.
//! - [`SecretFacts`]: what is true of one secret now.
//! - [`RecordIndex`]: finds the record that governs an address.

mod catalog;
mod facts;
mod index;
mod people;
mod record;
mod review;

pub use catalog::Governance;
pub use facts::{Attested, SecretFacts};
pub use index::{RecordIndex, RecordMatch, compile_glob};
pub use people::{Owner, OwnerStatus, Standing, Workload, WorkloadStatus};
pub use record::{Action, Approval, Exception, OwnerGroup, Reactions, Record, Schedule, Selector};
pub use review::{Review, ReviewData, ReviewDecision, ReviewError};
