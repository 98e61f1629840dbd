//! Discovery of unmanaged accounts: the accounts each target with
//! `discover` holds that no governed secret names, listed on the target's
//! own cadence, recorded (with an audit entry for each one found, disabled
//! or gone), told to the owner under `on_unmanaged = "escalate"`, and
//! disabled with proof under `"disable"` in a run.

use std::collections::HashMap;
use tenure_plugin_api::stamp;

use chrono::Utc;
use serde_json::json;
use tenure_plugin_api::{SecretAddress, Stage, TargetContext};
use tracing::warn;

use super::approve::{Gate, Request};
use super::attest::{AttestReport, Mode};
use super::{ReconcileError, Reconciler};
use crate::approvals::ApprovalAction;
use crate::attest::{disable_unmanaged, discover, governed_logins};
use crate::audit::Event;
use crate::config::{Config, UnmanagedAction};
use crate::governance::RecordMatch;
use crate::notify::{Notification, NotificationKind};
use crate::plan::Inventory;
use crate::policy::{Reason, Reasons};
use crate::state::{LoginRole, LoginsRow, UnmanagedRow};

impl Reconciler {
    /// Lists the accounts of every target with `discover` whose last listing
    /// is older than its `every` (always for `tenure attest`), and records
    /// (and, under `on_unmanaged = "disable"` in a run, disables) those no
    /// governed secret names.
    pub(super) async fn discover_due(
        &self,
        config: &Config,
        inventory: &Inventory,
        mode: Mode,
        report: &mut AttestReport,
    ) -> Result<(), ReconcileError> {
        let now = Utc::now();
        let due: Vec<(&String, &crate::config::TargetSettings)> = config
            .target_settings
            .iter()
            .filter(|(name, s)| {
                s.discover.as_ref().is_some_and(|d| {
                    mode == Mode::ReadOnly
                        || self.discovered.lock().map_or(true, |seen| {
                            seen.get(*name).is_none_or(|at| {
                                now - *at
                                    >= chrono::TimeDelta::from_std(d.every).unwrap_or_default()
                            })
                        })
                })
            })
            .collect();
        if due.is_empty() {
            report.unmanaged = self.store.unmanaged().await?;
            return Ok(());
        }
        let governance = &config.governance;
        let target_of = |address: &SecretAddress| match governance.index.find(address) {
            RecordMatch::One(i) => Some(governance.records[i].target.clone()),
            _ => None,
        };
        let attestations = self.store.attestations().await?;
        let mut recorded = self.store.logins().await?;
        // A governed secret never attested: its logins come from its value.
        for facts in inventory.facts.iter().filter(|f| f.enabled) {
            let key = facts.address.to_string();
            let Some(name) = target_of(&facts.address) else {
                continue;
            };
            if attestations.contains_key(&key) || !due.iter().any(|(t, _)| **t == name) {
                continue;
            }
            let (Some(provider), Some(target)) = (
                self.plugins.provider(facts.address.provider()),
                self.plugins.target(&name),
            ) else {
                continue;
            };
            if let Ok(value) = provider.read(facts.address.path(), Stage::Current).await
                && let Ok(names) = target.logins(&value)
            {
                // Only the names count here, whatever the role.
                recorded.push(LoginsRow {
                    secret: key,
                    role: LoginRole::Retired,
                    names,
                    at: now,
                });
            }
        }
        let governed = governed_logins(&attestations, &recorded, target_of);
        let known = self.store.unmanaged().await?;
        let mut events = Vec::new();
        for (name, settings) in due {
            let (Some(target), Some(discover_config), Ok(accounts)) = (
                self.plugins.target(name),
                settings.discover.as_ref(),
                SecretAddress::new(name.clone(), "accounts"),
            ) else {
                continue;
            };
            let found = match discover(target.as_ref(), discover_config, governed.get(name)).await {
                Ok(found) => found,
                Err(err) => {
                    warn!(target = %name, error = %err, "Could not list the accounts of target {name}.");
                    report
                        .discovery_errors
                        .push((name.clone(), err.to_string()));
                    continue;
                }
            };
            if let Ok(mut seen) = self.discovered.lock() {
                seen.insert(name.clone(), now);
            }
            let before: HashMap<&str, &UnmanagedRow> = known
                .iter()
                .filter(|r| &r.target == name)
                .map(|r| (r.login.as_str(), r))
                .collect();
            let mut rows = Vec::new();
            for account in &found {
                let first_seen = before
                    .get(account.login.as_str())
                    .map_or(now, |r| r.first_seen);
                let mut row = UnmanagedRow {
                    target: name.clone(),
                    login: account.login.clone(),
                    first_seen,
                    last_seen: now,
                    state: "found".to_owned(),
                    detail: String::new(),
                };
                let new = before
                    .get(account.login.as_str())
                    .is_none_or(|r| r.state != "found");
                let gate =
                    if settings.on_unmanaged == UnmanagedAction::Disable && mode == Mode::Repair {
                        self.unmanaged_gate(config, name, &account.login).await?
                    } else {
                        None
                    };
                let approved = match gate {
                    Some(Gate::Wait(id) | Gate::Held(id)) => {
                        row.detail = format!("disabling it waits for approval request {id}");
                        None
                    }
                    Some(Gate::Run(approval)) => Some(Some(approval)),
                    None => Some(None),
                };
                if settings.on_unmanaged == UnmanagedAction::Disable
                    && mode == Mode::Repair
                    && let Some(approval) = approved
                {
                    let ctx = TargetContext {
                        address: &accounts,
                        run_id: "discover",
                        scopes: &[],
                    };
                    match disable_unmanaged(target.as_ref(), ctx, &account.login).await {
                        Ok(proof) => {
                            if let Some(approval) = approval {
                                self.used(approval).await?;
                            }
                            warn!(target = %name, login = %account.login, "Disabled the unmanaged account {} on target {name}.", account.login);
                            row.state = "disabled".to_owned();
                            row.detail = proof.to_string();
                            events.push(unmanaged_event(&row, Some(proof)));
                            rows.push(row);
                            continue;
                        }
                        Err(err) => {
                            warn!(target = %name, login = %account.login, error = %err, "Could not disable the unmanaged account {}.", account.login);
                            row.detail = format!("could not disable it: {err}");
                        }
                    }
                }
                if new {
                    warn!(target = %name, login = %account.login, "Target {name} holds the account {}, which no governed secret names.", account.login);
                    events.push(unmanaged_event(&row, None));
                    if settings.on_unmanaged == UnmanagedAction::Escalate
                        && self
                            .first_time(&format!("unmanaged:{name}:{}", account.login))
                            .await?
                    {
                        let mut n = Notification::new(
                            NotificationKind::Escalation,
                            format!("{name}/{}", account.login),
                        );
                        n.reasons = vec!["unmanaged_account".to_owned()];
                        self.notify(config, n);
                    }
                }
                rows.push(row);
            }
            // Disabled earlier and no longer listed: kept, with their proof.
            for old in before.values() {
                let listed = found.iter().any(|f| f.login == old.login);
                if listed {
                    continue;
                }
                if old.state == "disabled" {
                    rows.push((*old).clone());
                } else {
                    let mut gone = (*old).clone();
                    gone.state = "gone".to_owned();
                    events.push(unmanaged_event(&gone, None));
                }
            }
            self.store.put_unmanaged(name, &rows).await?;
        }
        if !events.is_empty() {
            self.audit.append_all(events).await?;
        }
        report.unmanaged = self.store.unmanaged().await?;
        Ok(())
    }
}

impl Reconciler {
    /// The approval gate in front of disabling `login` on `target`, when
    /// `[approvals] require` names `disable_unmanaged`.
    async fn unmanaged_gate(
        &self,
        config: &Config,
        target: &str,
        login: &str,
    ) -> Result<Option<Gate>, ReconcileError> {
        let mut reasons = Reasons::default();
        reasons.insert(Reason::UnmanagedAccount);
        if !config
            .approvals
            .needs(ApprovalAction::DisableUnmanaged, &reasons, None)
        {
            return Ok(None);
        }
        let request = Request {
            subject: format!("{target}/{login}"),
            action: ApprovalAction::DisableUnmanaged,
            reasons: vec![Reason::UnmanagedAccount.as_str().to_owned()],
            actor: None,
        };
        Ok(Some(self.gate(config, request).await?))
    }
}

fn unmanaged_event(row: &UnmanagedRow, proof: Option<serde_json::Value>) -> Event {
    Event::new(
        "unmanaged_account",
        None,
        None,
        json!({
            "target": row.target,
            "login": row.login,
            "state": row.state,
            "first_seen": stamp(row.first_seen),
            "proof": proof,
        }),
    )
}
