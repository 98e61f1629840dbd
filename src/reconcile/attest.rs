//! Attestation passes: which secrets are due, attesting them under each
//! target's budget, recording the results (latest rows, one audit entry per
//! changed result, one per pass with its digest), then the discovery that
//! is due (see `discover`).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tenure_plugin_api::SecretAddress;
use tracing::{info, warn};

use super::{ReconcileError, Reconciler};
use crate::attest::{Attestation, Ledger, Subject, attest_secret, is_due, next_due, unreachable};
use crate::config::Config;
use crate::governance::RecordMatch;
use crate::plan::{Inventory, overlay_attestations};
use crate::state::{AttestationPass, LoginRole, UnmanagedRow};

/// How many secrets are attested at once at most; each target's own
/// budget (`attest = { concurrency }`, default 4) is the real limit.
const FANOUT: usize = 64;

/// Which secrets an attestation pass covers.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Those whose attestation is due, but `skip` (acted on this pass).
    Due {
        /// Not attested this time.
        skip: &'a HashSet<SecretAddress>,
    },
    /// Every governed secret whose record attests, whatever the cadence.
    All,
    /// These, whatever the cadence, even where their record's cadence is off.
    Named(&'a [SecretAddress]),
    /// These, just acted on: the proof that the repair holds (records whose
    /// cadence is off are left out).
    Acted(&'a [SecretAddress]),
}

impl Selection<'_> {
    /// Whether `address` is in the selection at all (cadence aside).
    fn covers(&self, address: &SecretAddress) -> bool {
        match self {
            Self::Due { skip } => !skip.contains(address),
            Self::All => true,
            Self::Named(list) | Self::Acted(list) => list.contains(address),
        }
    }
}

/// Whether discovery may act on what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `run`: `on_unmanaged = "disable"` disables.
    Repair,
    /// `tenure attest`: reads only.
    ReadOnly,
}

/// What an attestation pass found.
#[derive(Debug, Default)]
pub struct AttestReport {
    /// Every secret attested, in address order.
    pub attestations: Vec<Attestation>,
    /// The pass recorded (none when nothing was due).
    pub pass: Option<AttestationPass>,
    /// Unmanaged accounts known after discovery.
    pub unmanaged: Vec<UnmanagedRow>,
    /// Targets whose accounts could not be listed: name and error.
    pub discovery_errors: Vec<(String, String)>,
    /// Secrets not attested because a run is changing them (their state is
    /// in passing until it ends); attested after it.
    pub busy: Vec<SecretAddress>,
    /// When the next attestation falls due (after a pass of due ones).
    pub next_due: Option<DateTime<Utc>>,
}

impl AttestReport {
    /// Whether anything drifted, could not be checked, or is unmanaged.
    pub fn found_anything(&self) -> bool {
        self.attestations.iter().any(|a| a.result() != "ok")
            || self.unmanaged.iter().any(|u| u.state == "found")
            || !self.discovery_errors.is_empty()
    }
}

impl Reconciler {
    /// `tenure attest`: attests now every governed secret (or those named),
    /// read-only toward targets and vaults, and records the results as the
    /// latest facts. A name that is not in its provider's inventory is
    /// [`ReconcileError::UnknownSecret`].
    pub async fn attest_now(
        &self,
        only: Option<&[SecretAddress]>,
    ) -> Result<AttestReport, ReconcileError> {
        let config = self.config();
        let mut inventory = self.inventory(&config).await?;
        for address in only.unwrap_or_default() {
            let known = inventory.facts.iter().any(|f| &f.address == address);
            if !known {
                return Err(ReconcileError::UnknownSecret(address.to_string()));
            }
            if !matches!(config.governance.index.find(address), RecordMatch::One(_)) {
                return Err(ReconcileError::NotGoverned(address.to_string()));
            }
        }
        let selection = only.map_or(Selection::All, Selection::Named);
        self.attest(&config, &mut inventory, selection, Mode::ReadOnly)
            .await
    }

    /// Attests the secrets of `inventory` that `selection` covers, records
    /// the pass, puts the results into the inventory's facts, and runs the
    /// discovery that is due.
    pub(super) async fn attest(
        &self,
        config: &Config,
        inventory: &mut Inventory,
        selection: Selection<'_>,
        mode: Mode,
    ) -> Result<AttestReport, ReconcileError> {
        let now = Utc::now();
        let previous = self.store.attestations().await?;
        let recorded = self.store.logins().await?;
        let logins: HashMap<(&str, LoginRole), &[String]> = recorded
            .iter()
            .map(|r| ((r.secret.as_str(), r.role), r.names.as_slice()))
            .collect();
        let outages: HashMap<&str, &tenure_plugin_api::PluginError> = inventory
            .outages
            .iter()
            .map(|o| (o.provider.as_str(), &o.error))
            .collect();
        // A run in progress leaves a secret in passing (a new password set,
        // not yet promoted): attested once it ends. In its grace period, the
        // previous version still works on purpose.
        let running: HashMap<SecretAddress, crate::state::Phase> = self
            .store
            .active_runs()
            .await?
            .into_iter()
            .map(|run| (run.secret, run.phase))
            .collect();
        let governance = &config.governance;
        let mut attestations = Vec::new();
        let mut subjects = Vec::new();
        let mut busy = Vec::new();
        for facts in &inventory.facts {
            let address = &facts.address;
            if !selection.covers(address) {
                continue;
            }
            let RecordMatch::One(i) = governance.index.find(address) else {
                continue;
            };
            let record = &governance.records[i];
            let every = match (record.attest_every, selection) {
                (Some(every), _) => every,
                (None, Selection::Named(_)) => Duration::ZERO,
                (None, _) => continue,
            };
            if matches!(selection, Selection::Due { .. })
                && !is_due(
                    address,
                    every,
                    previous.get(&address.to_string()).map(|r| r.at),
                    now,
                )
            {
                continue;
            }
            if facts.vault_unreachable {
                if let Some(err) = outages.get(address.provider()) {
                    attestations.push(unreachable(address.clone(), err, now));
                }
                continue;
            }
            let Some(meta) = inventory.metadata.get(address) else {
                continue;
            };
            let in_grace = match running.get(address) {
                None => false,
                Some(crate::state::Phase::Retire) => true,
                Some(_) => {
                    busy.push(address.clone());
                    continue;
                }
            };
            subjects.push((address, meta, record, in_grace));
        }
        // Boxed: an unboxed future borrowing from this one trips the
        // compiler's Send check for the service task.
        type Attesting<'f> =
            std::pin::Pin<Box<dyn std::future::Future<Output = Attestation> + Send + 'f>>;
        let futures: Vec<Attesting<'_>> = subjects
            .into_iter()
            .map(|(address, meta, record, in_grace)| {
                let key = address.to_string();
                let revoked = logins
                    .get(&(key.as_str(), LoginRole::Revoked))
                    .copied()
                    .unwrap_or_default();
                let retired = logins
                    .get(&(key.as_str(), LoginRole::Retired))
                    .copied()
                    .unwrap_or_default();
                Box::pin(async move {
                    let (Some(provider), Some(target)) = (
                        self.plugins.provider(address.provider()),
                        self.plugins.target(&record.target),
                    ) else {
                        let err = tenure_plugin_api::PluginError::permanent(format!(
                            "provider {} or target {} is not running",
                            address.provider(),
                            record.target
                        ));
                        return unreachable(address.clone(), &err, now);
                    };
                    let _permit = self.attest_limits.acquire(&record.target).await;
                    attest_secret(Subject {
                        address,
                        meta,
                        record,
                        provider: provider.as_ref(),
                        target: target.as_ref(),
                        revoked_logins: revoked,
                        retired_logins: retired,
                        in_grace,
                        now: Utc::now(),
                    })
                    .await
                }) as Attesting<'_>
            })
            .collect();
        let checked: Vec<Attestation> = futures_util::stream::iter(futures)
            .buffer_unordered(FANOUT)
            .collect()
            .await;
        attestations.extend(checked);
        attestations.sort_by(|a, b| a.secret.cmp(&b.secret));

        let mut report = AttestReport {
            busy,
            ..AttestReport::default()
        };
        if let Selection::Due { skip } = selection {
            // Those skipped were acted on: they are attested after acting.
            let attested_at: HashMap<&SecretAddress, DateTime<Utc>> = attestations
                .iter()
                .map(|a| (&a.secret, a.at))
                .chain(skip.iter().map(|s| (s, now)))
                .collect();
            report.next_due = inventory
                .facts
                .iter()
                .filter_map(|facts| {
                    let RecordMatch::One(i) = governance.index.find(&facts.address) else {
                        return None;
                    };
                    let every = governance.records[i].attest_every?;
                    let last = attested_at
                        .get(&facts.address)
                        .copied()
                        .or_else(|| previous.get(&facts.address.to_string()).map(|r| r.at));
                    Some(next_due(&facts.address, every, last))
                })
                .min();
        }
        if !attestations.is_empty() {
            let ledger = Ledger::of(&attestations, &previous, Utc::now());
            self.store
                .record_attestations(&ledger.rows, &ledger.pass)
                .await?;
            self.audit.append_all(ledger.events).await?;
            let metrics = crate::metrics::global();
            for attestation in &attestations {
                let result = attestation.result();
                metrics
                    .attestations
                    .get_or_create(&crate::metrics::ResultLabels {
                        result: result.to_owned(),
                    })
                    .inc();
                if result != "ok" {
                    let findings = attestation.findings().join(", ");
                    warn!(secret = %attestation.secret, result, findings = %findings, "{}: attestation found {findings}.", attestation.secret);
                }
            }
            let pass = ledger.pass;
            info!(
                pass = %pass.id,
                "Attested {} secrets: {} ok, {} drift, {} unavailable.",
                pass.attested, pass.ok, pass.drift, pass.unavailable
            );
            let before = now
                - chrono::TimeDelta::from_std(config.attest_retention)
                    .unwrap_or(chrono::TimeDelta::MAX);
            self.store.prune_attestation_passes(before).await?;
            let rows: HashMap<String, _> = ledger
                .rows
                .into_iter()
                .map(|row| (row.secret.clone(), row))
                .collect();
            overlay_attestations(&mut inventory.facts, &rows);
            report.pass = Some(pass);
        }
        report.attestations = attestations;
        if matches!(selection, Selection::Due { .. } | Selection::All) {
            self.discover_due(config, inventory, mode, &mut report)
                .await?;
        }
        Ok(report)
    }
}
