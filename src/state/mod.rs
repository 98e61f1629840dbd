//! Durable state: workflow runs, per-secret leases, the due queue,
//! per-secret failure counts, accepted events and the signals they left,
//! attestations (each secret's latest result and every pass), the logins a
//! revocation or retirement disabled, unmanaged accounts, approval
//! requests, and the users and groups an identity provider provisioned
//! through SCIM.
//!
//! [`StateStore`] is the seam: [`SqliteStore`] (a file in the state folder)
//! is the embedded default; [`PgStore`] (PostgreSQL) lets several replicas
//! share the work. Both are one generic implementation, [`SqlStore`], split
//! by job under `sql/`. Runs are updated with compare-and-swap on a
//! sequence number, so two writers can never both advance one run.

mod attest;
mod events;
mod model;
mod postgres;
mod scim;
mod sql;
mod sqlite;
mod wal_sync;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

use crate::approvals::{Approval, ApprovalStatus};
use crate::audit::Checkpoint;

pub use attest::{AttestationPass, AttestationRow, LoginRole, LoginsRow, UnmanagedRow};
pub use events::{InboundEvent, Intake, Signal, SignalKind};
pub use model::{Phase, QueueItem, Run, RunKind, RunStatus, SecretState};
pub use postgres::PgStore;
pub use scim::{ScimKind, ScimResource, ScimWrite};
pub use sql::SqlStore;
pub use sqlite::SqliteStore;

/// Why the state store failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The database failed.
    #[error("state store: {0}")]
    Database(String),
    /// Another writer advanced the run first.
    #[error("state store: run {run} was changed by another writer")]
    Conflict {
        /// The run's id.
        run: String,
    },
    /// A stored row could not be read back.
    #[error("state store: corrupt row in {table}: {detail}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Durable state shared by every process acting on one configuration.
#[async_trait::async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// Stores a new run.
    async fn insert_run(&self, run: &Run) -> Result<(), StateError>;

    /// Stores `run` if nobody changed it since it was read (its `seq`), then bumps `seq`.
    async fn update_run(&self, run: &mut Run) -> Result<(), StateError>;

    /// One run by id.
    async fn get_run(&self, id: &str) -> Result<Option<Run>, StateError>;

    /// Every run whose status is active, oldest first.
    async fn active_runs(&self) -> Result<Vec<Run>, StateError>;

    /// The most recent runs of one secret, newest first.
    async fn runs_for(&self, secret: &SecretAddress, limit: u32) -> Result<Vec<Run>, StateError>;

    /// Takes (or renews) the lease on `secret` for `holder`; false when another holder has it.
    async fn try_lease(
        &self,
        secret: &SecretAddress,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError>;

    /// Who holds the lease on `secret`, if anyone (expired or not).
    async fn lease_holder(&self, secret: &SecretAddress) -> Result<Option<String>, StateError>;

    /// Takes the lease from `from` (a holder known to be dead) for `to`; false when `from` no longer holds it.
    async fn take_over_lease(
        &self,
        secret: &SecretAddress,
        from: &str,
        to: &str,
        ttl: Duration,
    ) -> Result<bool, StateError>;

    /// Gives a lease back (no-op when `holder` does not hold it).
    async fn release_lease(&self, secret: &SecretAddress, holder: &str) -> Result<(), StateError>;

    /// Queues `secret` to be reconciled at `due`; a secret queued twice keeps the earlier time.
    async fn enqueue(
        &self,
        secret: &SecretAddress,
        due: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StateError>;

    /// Queued secrets due at or before `now`, earliest first.
    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueueItem>, StateError>;

    /// Removes a secret from the queue.
    async fn dequeue(&self, secret: &SecretAddress) -> Result<(), StateError>;

    /// The state of one secret (default when unknown).
    async fn secret_state(&self, secret: &SecretAddress) -> Result<SecretState, StateError>;

    /// The state of every secret that has one, keyed by address.
    async fn secret_states(&self) -> Result<HashMap<String, SecretState>, StateError>;

    /// Replaces the state of one secret.
    async fn put_secret_state(
        &self,
        secret: &SecretAddress,
        state: &SecretState,
    ) -> Result<(), StateError>;

    /// Stores an accepted event durably; a known id or delivery id is a duplicate.
    async fn insert_event(&self, event: &InboundEvent) -> Result<Intake, StateError>;

    /// Stored events not yet processed, oldest first.
    async fn pending_events(&self, limit: u32) -> Result<Vec<InboundEvent>, StateError>;

    /// Marks an event processed and stores its signals, atomically; false
    /// (and nothing stored) when it was already processed.
    async fn complete_event(
        &self,
        id: &str,
        outcome: &str,
        signals: &[Signal],
    ) -> Result<bool, StateError>;

    /// [`StateStore::complete_event`] for many events in one transaction;
    /// one flag per event, in order.
    async fn complete_events(
        &self,
        done: &[(String, &'static str, Vec<Signal>)],
    ) -> Result<Vec<bool>, StateError>;

    /// Every stored signal.
    async fn signals(&self) -> Result<Vec<Signal>, StateError>;

    /// Removes the signal for `kind` and `key`, so the files decide that fact
    /// again; the removed signal, or `None` when there was none.
    async fn remove_signal(
        &self,
        kind: SignalKind,
        key: &str,
    ) -> Result<Option<Signal>, StateError>;

    /// Records that the notification `key` was sent; false when it already was
    /// (by this process or another replica).
    async fn mark_notified(&self, key: &str) -> Result<bool, StateError>;

    /// Forgets that the notification `key` was sent, so it is sent again
    /// the next time it applies.
    async fn forget_notified(&self, key: &str) -> Result<(), StateError>;

    /// Every secret's latest attestation, keyed by address.
    async fn attestations(&self) -> Result<HashMap<String, AttestationRow>, StateError>;

    /// Stores an attestation pass: the latest result of every secret it
    /// covered, and the pass with its leaves, in one transaction.
    async fn record_attestations(
        &self,
        rows: &[AttestationRow],
        pass: &AttestationPass,
    ) -> Result<(), StateError>;

    /// One attestation pass by id.
    async fn attestation_pass(&self, id: &str) -> Result<Option<AttestationPass>, StateError>;

    /// The attestation passes that ended in `[from, until]`, oldest first.
    async fn attestation_passes(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<AttestationPass>, StateError>;

    /// Deletes the attestation passes that ended before `before`; returns
    /// how many went.
    async fn prune_attestation_passes(&self, before: DateTime<Utc>) -> Result<u64, StateError>;

    /// Records the logins a revocation or retirement of one secret disabled,
    /// replacing what that secret had recorded for the same role.
    async fn put_logins(&self, row: &LoginsRow) -> Result<(), StateError>;

    /// Every recorded login row.
    async fn logins(&self) -> Result<Vec<LoginsRow>, StateError>;

    /// The logins one secret's revocation (`Revoked`) or retirement
    /// (`Retired`) recorded; empty when none were.
    async fn logins_of(&self, secret: &str, role: LoginRole) -> Result<Vec<String>, StateError>;

    /// Replaces what discovery knows of `target`'s unmanaged accounts.
    async fn put_unmanaged(&self, target: &str, rows: &[UnmanagedRow]) -> Result<(), StateError>;

    /// Every unmanaged account discovery knows of.
    async fn unmanaged(&self) -> Result<Vec<UnmanagedRow>, StateError>;

    /// Stores a new approval request; `false` (storing nothing) when its
    /// subject already has an open request for the same action.
    async fn insert_approval(&self, approval: &Approval) -> Result<bool, StateError>;

    /// Writes an approval's new status and decision if it still has the
    /// status `was`; whether it did (another approver or replica may have
    /// got there first).
    async fn update_approval(
        &self,
        approval: &Approval,
        was: ApprovalStatus,
    ) -> Result<bool, StateError>;

    /// One approval request by id.
    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError>;

    /// Every approval request, newest first.
    async fn approvals(&self) -> Result<Vec<Approval>, StateError>;

    /// The open approval requests (pending, or approved and not yet
    /// carried out), newest first.
    async fn open_approvals(&self) -> Result<Vec<Approval>, StateError>;

    /// Stores a row of the audit checkpoint registry if its number is still
    /// free (another replica may have taken it); whether it did.
    async fn insert_checkpoint(&self, row: &Checkpoint) -> Result<bool, StateError>;

    /// The registry's last row, if any.
    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StateError>;

    /// Every row of the registry, in order.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StateError>;

    /// One SCIM user or group by id.
    async fn scim_resource(
        &self,
        kind: ScimKind,
        id: &str,
    ) -> Result<Option<ScimResource>, StateError>;

    /// Every SCIM user or group, oldest first.
    async fn scim_resources(&self, kind: ScimKind) -> Result<Vec<ScimResource>, StateError>;

    /// Creates `resource` (`expected` `None`) or replaces it if its stored
    /// version is `expected`, and stores `event` in the same transaction.
    async fn put_scim_resource(
        &self,
        resource: &ScimResource,
        expected: Option<i64>,
        event: Option<&InboundEvent>,
    ) -> Result<ScimWrite, StateError>;

    /// Deletes a SCIM user or group if its stored version is `expected`,
    /// and stores `event` in the same transaction.
    async fn delete_scim_resource(
        &self,
        kind: ScimKind,
        id: &str,
        expected: i64,
        event: Option<&InboundEvent>,
    ) -> Result<ScimWrite, StateError>;

    /// Whether the store answers (for readiness).
    async fn ping(&self) -> Result<(), StateError>;
}
