//! Test support for Tenure and its plugins (a dev-dependency only, never
//! published).
//!
//! - [`target_suite`]: the target conformance suite, one named function per
//!   behaviour, and [`run_target_suite`], which runs them in order;
//! - [`provider_suite`]: the provider conformance suite, likewise, and
//!   [`run_provider_suite`];
//! - [`provider_steps`]: one-line steps for a provider's own tests;
//! - [`services`]: [`service_url`], [`unique_name`] and [`bao`], for tests
//!   against the servers `scripts/services` starts;
//! - `azure_standin` (feature `azure-standin`): an HTTPS stand-in of Azure
//!   Key Vault and Entra ID.
//!
//! A suite failure is a [`Failure`]: it names the behaviour that failed and
//! the step within it.

#[cfg(feature = "azure-standin")]
pub mod azure_standin;
mod failure;
pub mod provider_steps;
pub mod provider_suite;
pub mod services;
pub mod target_suite;

pub use failure::Failure;
pub use provider_suite::{ProviderSuite, run_provider_suite};
pub use services::{bao, service_url, unique_name};
pub use target_suite::{SuiteReport, TargetSuite, run_target_suite};
