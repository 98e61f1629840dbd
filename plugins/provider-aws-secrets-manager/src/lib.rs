//! The `aws_secrets_manager` provider: AWS Secrets Manager through the
//! official SDK, rotating with the service's own staging labels.
//!
//! Representation:
//! - **current**, **pending** and **previous** are the `AWSCURRENT`,
//!   `AWSPENDING` and `AWSPREVIOUS` labels; every read names its label or
//!   version explicitly (a read without one may lag a promotion);
//! - **stage** is `PutSecretValue` with a `ClientRequestToken` derived from
//!   the rotation's id and the label `AWSPENDING`, so a retry is idempotent;
//!   a pending version from another rotation is a conflict, which the
//!   workflow resolves by discarding it (a stale `AWSPENDING` never blocks
//!   the next rotation);
//! - **promote** is `UpdateSecretVersionStage` moving `AWSCURRENT` (AWS
//!   moves `AWSPREVIOUS` to the former current), then removing
//!   `AWSPENDING`, then the tag `tenure:rotated-at`;
//! - **retire** removes `AWSPREVIOUS`: the version becomes deprecated and
//!   AWS removes it (AWS cannot delete one version on request);
//! - **disable** schedules deletion with a recovery window (7 to 30 days);
//!   enabling again restores the secret;
//! - inventory is `ListSecrets` (including secrets scheduled for deletion,
//!   shown as disabled) plus `ListSecretVersionIds` per secret for the
//!   versions' creation times;
//! - every call first takes a token from its API family's client-side rate
//!   budget.

mod budget;
mod config;
mod convert;
mod plugin;
mod provider;

pub use config::{AwsConfig, RateBudget};
pub use plugin::Plugin;
pub use provider::AwsSecretsManagerProvider;
