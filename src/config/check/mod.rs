//! The cross-checks of [`build`](super::build), one module per TOML section.
//!
//! Each `check_<section>` reads its section's raw parts, reports every
//! problem to the shared [`Checker`], and returns the checked value (with
//! defaults filled in). Pure: no I/O.

mod approvals;
mod checker;
mod defaults;
mod nats;
mod notify;
mod operators;
mod owners;
mod providers;
mod records;
mod retry;
mod schedule;
mod scim;
mod selector;
mod server;
mod targets;
mod tenure;
mod workloads;

pub use approvals::{check_approvals, check_record_approvals};
pub use checker::Checker;
pub use defaults::{RecordDefaults, check_defaults};
pub use nats::check_nats;
pub use notify::check_notify;
pub use owners::check_owners;
pub use providers::check_providers;
pub use records::{Known, check_records};
pub use retry::check_retry;
pub use schedule::check_schedule;
pub use scim::check_scim;
pub use server::check_server;
pub use targets::{check_target_settings, check_targets};
pub use tenure::check_tenure;
pub use workloads::check_workloads;
