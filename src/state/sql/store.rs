//! [`StateStore`] for [`SqlStore`]: each method handed to the module for
//! its job (runs, leases, queue, secret state, events and signals,
//! notifications, attestations, logins and unmanaged accounts, approval
//! requests).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

use super::{
    Db, Sql, SqlStore, approvals, attest, checkpoints, events, leases, logins, notifications,
    queue, runs, scim, secret_state,
};
use crate::approvals::{Approval, ApprovalStatus};
use crate::audit::Checkpoint;
use crate::state::{
    AttestationPass, AttestationRow, InboundEvent, Intake, LoginRole, LoginsRow, QueueItem, Run,
    ScimKind, ScimResource, ScimWrite, SecretState, Signal, SignalKind, StateError, StateStore,
    UnmanagedRow,
};

#[async_trait::async_trait]
impl<D: Db> StateStore for SqlStore<D> {
    async fn insert_run(&self, run: &Run) -> Result<(), StateError> {
        runs::insert_run(self, run).await
    }

    async fn update_run(&self, run: &mut Run) -> Result<(), StateError> {
        runs::update_run(self, run).await
    }

    async fn get_run(&self, id: &str) -> Result<Option<Run>, StateError> {
        runs::get_run(self, id).await
    }

    async fn active_runs(&self) -> Result<Vec<Run>, StateError> {
        runs::active_runs(self).await
    }

    async fn runs_for(&self, secret: &SecretAddress, limit: u32) -> Result<Vec<Run>, StateError> {
        runs::runs_for(self, secret, limit).await
    }

    async fn try_lease(
        &self,
        secret: &SecretAddress,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        leases::try_lease(self, secret, holder, ttl).await
    }

    async fn lease_holder(&self, secret: &SecretAddress) -> Result<Option<String>, StateError> {
        leases::lease_holder(self, secret).await
    }

    async fn take_over_lease(
        &self,
        secret: &SecretAddress,
        from: &str,
        to: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        leases::take_over_lease(self, secret, from, to, ttl).await
    }

    async fn release_lease(&self, secret: &SecretAddress, holder: &str) -> Result<(), StateError> {
        leases::release_lease(self, secret, holder).await
    }

    async fn enqueue(
        &self,
        secret: &SecretAddress,
        due: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StateError> {
        queue::enqueue(self, secret, due, reason).await
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueueItem>, StateError> {
        queue::due(self, now, limit).await
    }

    async fn dequeue(&self, secret: &SecretAddress) -> Result<(), StateError> {
        queue::dequeue(self, secret).await
    }

    async fn secret_state(&self, secret: &SecretAddress) -> Result<SecretState, StateError> {
        secret_state::secret_state(self, secret).await
    }

    async fn secret_states(&self) -> Result<HashMap<String, SecretState>, StateError> {
        secret_state::secret_states(self).await
    }

    async fn put_secret_state(
        &self,
        secret: &SecretAddress,
        state: &SecretState,
    ) -> Result<(), StateError> {
        secret_state::put_secret_state(self, secret, state).await
    }

    async fn insert_event(&self, event: &InboundEvent) -> Result<Intake, StateError> {
        events::insert_event(self, event).await
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<InboundEvent>, StateError> {
        events::pending_events(self, limit).await
    }

    async fn complete_event(
        &self,
        id: &str,
        outcome: &str,
        signals: &[Signal],
    ) -> Result<bool, StateError> {
        events::complete_event(self, id, outcome, signals).await
    }

    async fn complete_events(
        &self,
        done: &[(String, &'static str, Vec<Signal>)],
    ) -> Result<Vec<bool>, StateError> {
        events::complete_events(self, done).await
    }

    async fn signals(&self) -> Result<Vec<Signal>, StateError> {
        events::signals(self).await
    }

    async fn remove_signal(
        &self,
        kind: SignalKind,
        key: &str,
    ) -> Result<Option<Signal>, StateError> {
        events::remove_signal(self, kind, key).await
    }

    async fn mark_notified(&self, key: &str) -> Result<bool, StateError> {
        notifications::mark_notified(self, key).await
    }

    async fn forget_notified(&self, key: &str) -> Result<(), StateError> {
        notifications::forget_notified(self, key).await
    }

    async fn attestations(&self) -> Result<HashMap<String, AttestationRow>, StateError> {
        attest::attestations(self).await
    }

    async fn record_attestations(
        &self,
        rows: &[AttestationRow],
        pass: &AttestationPass,
    ) -> Result<(), StateError> {
        attest::record_attestations(self, rows, pass).await
    }

    async fn attestation_pass(&self, id: &str) -> Result<Option<AttestationPass>, StateError> {
        attest::attestation_pass(self, id).await
    }

    async fn attestation_passes(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<AttestationPass>, StateError> {
        attest::attestation_passes(self, from, until).await
    }

    async fn prune_attestation_passes(&self, before: DateTime<Utc>) -> Result<u64, StateError> {
        attest::prune_attestation_passes(self, before).await
    }

    async fn put_logins(&self, row: &LoginsRow) -> Result<(), StateError> {
        logins::put_logins(self, row).await
    }

    async fn logins(&self) -> Result<Vec<LoginsRow>, StateError> {
        logins::logins(self).await
    }

    async fn logins_of(&self, secret: &str, role: LoginRole) -> Result<Vec<String>, StateError> {
        logins::logins_of(self, secret, role).await
    }

    async fn put_unmanaged(&self, target: &str, rows: &[UnmanagedRow]) -> Result<(), StateError> {
        logins::put_unmanaged(self, target, rows).await
    }

    async fn unmanaged(&self) -> Result<Vec<UnmanagedRow>, StateError> {
        logins::unmanaged(self).await
    }

    async fn insert_approval(&self, approval: &Approval) -> Result<bool, StateError> {
        approvals::insert_approval(self, approval).await
    }

    async fn update_approval(
        &self,
        approval: &Approval,
        was: ApprovalStatus,
    ) -> Result<bool, StateError> {
        approvals::update_approval(self, approval, was).await
    }

    async fn approval(&self, id: &str) -> Result<Option<Approval>, StateError> {
        approvals::approval(self, id).await
    }

    async fn approvals(&self) -> Result<Vec<Approval>, StateError> {
        approvals::approvals(self).await
    }

    async fn open_approvals(&self) -> Result<Vec<Approval>, StateError> {
        approvals::open_approvals(self).await
    }

    async fn insert_checkpoint(&self, row: &Checkpoint) -> Result<bool, StateError> {
        checkpoints::insert_checkpoint(self, row).await
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StateError> {
        checkpoints::last_checkpoint(self).await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StateError> {
        checkpoints::checkpoints(self).await
    }

    async fn scim_resource(
        &self,
        kind: ScimKind,
        id: &str,
    ) -> Result<Option<ScimResource>, StateError> {
        scim::scim_resource(self, kind, id).await
    }

    async fn scim_resources(&self, kind: ScimKind) -> Result<Vec<ScimResource>, StateError> {
        scim::scim_resources(self, kind).await
    }

    async fn put_scim_resource(
        &self,
        resource: &ScimResource,
        expected: Option<i64>,
        event: Option<&InboundEvent>,
    ) -> Result<ScimWrite, StateError> {
        scim::put_scim_resource(self, resource, expected, event).await
    }

    async fn delete_scim_resource(
        &self,
        kind: ScimKind,
        id: &str,
        expected: i64,
        event: Option<&InboundEvent>,
    ) -> Result<ScimWrite, StateError> {
        scim::delete_scim_resource(self, kind, id, expected, event).await
    }

    async fn ping(&self) -> Result<(), StateError> {
        self.execute(Sql::new("SELECT 1")).await?;
        Ok(())
    }
}
