//! From events to governance: [`signals_for`] turns an event into the
//! signals it leaves behind, and [`overlay`] layers stored signals over the
//! configuration read from the files, giving the governance the planner
//! decides against.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::TenureEvent;
use crate::config::Config;
use crate::governance::{Owner, OwnerStatus, Review, Standing, WorkloadStatus};
use crate::state::{Signal, SignalKind};

/// The signals an event leaves behind (none for a reload request).
pub fn signals_for(event: &TenureEvent, at: DateTime<Utc>, event_id: &str) -> Vec<Signal> {
    let signal = |kind, key: &str, value: &str| Signal {
        kind,
        key: key.to_owned(),
        value: value.to_owned(),
        at,
        event: event_id.to_owned(),
    };
    match event {
        TenureEvent::OwnerLeft { owner } => vec![signal(SignalKind::OwnerStatus, owner, "left")],
        TenureEvent::OwnerReturned { owner } => {
            vec![signal(SignalKind::OwnerStatus, owner, "active")]
        }
        TenureEvent::OwnerChanged { owner, new_owner } => {
            vec![signal(SignalKind::OwnerReassigned, owner, new_owner)]
        }
        TenureEvent::WorkloadMoved { workload } => {
            vec![signal(SignalKind::WorkloadStatus, workload, "moved")]
        }
        TenureEvent::WorkloadDecommissioned { workload } => {
            vec![signal(
                SignalKind::WorkloadStatus,
                workload,
                "decommissioned",
            )]
        }
        TenureEvent::WorkloadRestored { workload } => {
            vec![signal(SignalKind::WorkloadStatus, workload, "running")]
        }
        TenureEvent::SecretExposed { secret } => {
            vec![signal(
                SignalKind::SecretExposed,
                &secret.to_string(),
                "exposed",
            )]
        }
        TenureEvent::ReviewLapsed { record } => vec![signal(SignalKind::Review, record, "lapsed")],
        // Checked when the event was accepted, so it reads as a review.
        TenureEvent::ReviewCompleted { review } => review
            .review(at)
            .ok()
            .and_then(|completed| serde_json::to_string(&completed).ok())
            .map(|json| signal(SignalKind::Review, &review.record, &json))
            .into_iter()
            .collect(),
        TenureEvent::GroupMembers { group, members } => {
            let members = serde_json::Value::from(members.clone()).to_string();
            vec![signal(SignalKind::GroupMembers, group, &members)]
        }
        TenureEvent::GovernanceUpdated | TenureEvent::VaultChanged { .. } => Vec::new(),
    }
}

/// When each exposed secret was reported exposed, by address.
pub type Exposures = HashMap<String, DateTime<Utc>>;

/// Puts the owner or workload `id` in `status` since `at` (adding it when
/// the files do not name it).
fn set_status<S: Copy>(
    entries: &mut HashMap<String, Standing<S>>,
    id: String,
    status: S,
    at: DateTime<Utc>,
) {
    let entry = entries.entry(id.clone()).or_insert(Standing {
        id,
        status,
        since: None,
    });
    entry.status = status;
    entry.since = Some(at);
}

/// Applies `signals` (oldest first) to `config`'s governance; returns the exposures.
pub fn overlay(config: &mut Config, signals: &[Signal]) -> Exposures {
    let governance = &mut config.governance;
    let targets = &config.targets;
    let mut exposures = Exposures::new();
    for signal in signals {
        let key = signal.key.clone();
        match signal.kind {
            SignalKind::OwnerStatus => {
                let status = match signal.value.as_str() {
                    "left" => OwnerStatus::Left,
                    _ => OwnerStatus::Active,
                };
                set_status(&mut governance.owners, key, status, signal.at);
            }
            SignalKind::OwnerReassigned => {
                let mut moved = false;
                for record in &mut governance.records {
                    if record.owner == signal.key {
                        record.owner.clone_from(&signal.value);
                        moved = true;
                    }
                }
                if moved && governance.owners_modelled() {
                    governance
                        .owners
                        .entry(signal.value.clone())
                        .or_insert(Owner {
                            id: signal.value.clone(),
                            status: OwnerStatus::Active,
                            since: Some(signal.at),
                        });
                }
            }
            SignalKind::WorkloadStatus => {
                let status = match signal.value.as_str() {
                    "decommissioned" => WorkloadStatus::Decommissioned,
                    "moved" => WorkloadStatus::Moved,
                    _ => WorkloadStatus::Running,
                };
                set_status(&mut governance.workloads, key, status, signal.at);
            }
            SignalKind::SecretExposed => {
                exposures.insert(key, signal.at);
            }
            SignalKind::GroupMembers => {
                let members: Vec<String> = serde_json::from_str(&signal.value).unwrap_or_default();
                for record in &mut governance.records {
                    let Some(group) = &mut record.owner_group else {
                        continue;
                    };
                    if group.name.eq_ignore_ascii_case(&signal.key) {
                        let outside = !members.iter().any(|m| m == &record.owner);
                        group.owner_left_at = outside.then_some(signal.at);
                    }
                }
            }
            SignalKind::Review => {
                // A completed review is stored as its JSON; `lapsed`, and
                // `completed` from before reviews carried their details,
                // as words.
                let review = serde_json::from_str::<Review>(&signal.value).ok();
                for record in governance.records.iter_mut().filter(|r| r.id == signal.key) {
                    if let Some(review) = &review {
                        let target = targets.get(&record.target);
                        review.apply(record, |scope| match target {
                            Some(target) => target.canonical_scope(scope),
                            None => Ok(scope.to_owned()),
                        });
                        continue;
                    }
                    record.review_by = match (signal.value.as_str(), record.review_by) {
                        ("lapsed", Some(by)) => Some(by.min(signal.at)),
                        ("lapsed", None) => Some(signal.at),
                        (_, Some(by)) if by <= signal.at => None,
                        (_, by) => by,
                    };
                }
            }
        }
    }
    exposures
}
