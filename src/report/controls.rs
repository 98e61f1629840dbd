//! One control evaluated: which plan lines are in scope, which are out of
//! policy (a listed decision reason, or a limit the record or the credential
//! exceeds), which an active exception covers, which a check could not be
//! made for (`unavailable`, never compliant), and its measured figures.

use std::collections::HashMap;

use chrono::TimeDelta;
use serde::Serialize;

use super::Inputs;
use super::figures::{self, Rotations, TimeToRevoke};
use super::framework::{Control, Figure, Population};
use super::revocations::Revocation;
use super::rotations::Rotation;
use crate::audit::TrailEntry;
use crate::governance::{Record, SecretFacts};
use crate::plan::PlanEntry;

/// A line in scope and how it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// The secret (an account: `target/login`; a vault that could not be read: `provider:*`).
    pub secret: String,
    /// Its record, if any.
    pub record: Option<String>,
    /// The plan's decision.
    pub decision: &'static str,
    /// compliant, out_of_policy, excepted or unavailable.
    pub status: &'static str,
}

/// A line out of policy, or one a check could not be made for.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The secret.
    pub secret: String,
    /// Its record, if any.
    pub record: Option<String>,
    /// The record's owner, if any.
    pub owner: Option<String>,
    /// The plan's decision.
    pub decision: &'static str,
    /// Why: the decision reasons the control lists, and the limits exceeded.
    pub why: Vec<String>,
    /// The `decision` entry that recorded the decision in effect, if any.
    pub evidence: Option<String>,
}

/// An exception that keeps a line out of the findings.
#[derive(Debug, Clone, Serialize)]
pub struct Excepted {
    /// The secret.
    pub secret: String,
    /// Its record.
    pub record: String,
    /// What the exception waives here.
    pub waived: Vec<String>,
    /// Who approved it.
    pub approved_by: String,
    /// Why.
    pub reason: String,
    /// Until when (RFC 3339).
    pub until: String,
    /// The `decision` entry that recorded it, if any.
    pub evidence: Option<String>,
}

/// One control's report.
#[derive(Debug, Clone, Serialize)]
pub struct ControlReport {
    /// The control as the framework defines it.
    #[serde(flatten)]
    pub control: Control,
    /// pass, fail, unavailable or empty.
    pub status: &'static str,
    /// Every line in scope.
    #[serde(rename = "in_scope")]
    pub population: Vec<Member>,
    /// Lines out of policy.
    pub out_of_policy: Vec<Finding>,
    /// Lines a check could not be made for.
    pub unavailable: Vec<Finding>,
    /// Lines an exception covers.
    pub exceptions: Vec<Excepted>,
    /// Time to revoke, if the control shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_revoke: Option<TimeToRevoke>,
    /// Rotations on time, if the control shows them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotations: Option<Rotations>,
}

/// A plan line with what the checks need.
struct Line<'a> {
    entry: PlanEntry<'a>,
    facts: Option<&'a SecretFacts>,
    record: Option<&'a Record>,
    target_type: Option<&'static str>,
}

fn lines<'a>(inputs: &Inputs<'a>) -> Vec<Line<'a>> {
    let (config, plan) = (inputs.config, inputs.plan);
    let target_type = |name: &str| config.targets.get(name).map(|t| t.type_name());
    let n = plan.secrets.len();
    let dangling = plan.dangling.len();
    let outages = plan.outages.len();
    plan.entries(config)
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let planned = plan.secrets.get(i);
            let record = if i < n {
                planned.and_then(|p| p.record)
            } else {
                plan.dangling.get(i - n).copied()
            }
            .map(|r| &config.governance.records[r]);
            let target = if i >= n + dangling + outages {
                entry.target.as_deref().and_then(target_type)
            } else {
                record.and_then(|r| target_type(&r.target))
            };
            Line {
                facts: planned.map(|p| &plan.facts[p.facts]),
                record,
                target_type: target,
                entry,
            }
        })
        .collect()
}

/// Whether `line` is in the control's scope.
fn in_scope(control: &Control, line: &Line<'_>) -> bool {
    let reasons = &line.entry.reasons;
    if reasons.contains(&"dangling_record") {
        return control
            .out_of_policy
            .iter()
            .any(|r| r.as_str() == "dangling_record");
    }
    if line.entry.detail.is_some() && line.entry.attestation == Some("unavailable") {
        return true; // A vault that could not be read hides secrets of every scope.
    }
    if control.population == Population::Governed && line.record.is_none() {
        return false;
    }
    control.target_types.is_empty()
        || line
            .target_type
            .is_some_and(|t| control.target_types.iter().any(|w| w == t))
}

/// The age limits `line` exceeds (none for a disabled credential).
fn age_findings(days: u32, line: &Line<'_>, inputs: &Inputs<'_>) -> Vec<String> {
    if line.entry.reasons.contains(&"disabled") || line.entry.account.is_some() {
        return Vec::new();
    }
    let limit = TimeDelta::days(i64::from(days));
    let mut why = Vec::new();
    match line.record {
        None => why.push(format!(
            "no_rotation_limit: no record sets a lifetime (at most {days}d)"
        )),
        Some(r) => match (r.max_age, &r.schedule) {
            (Some(age), _) if age > limit => why.push(format!(
                "record_max_age_over_limit: the record allows {}d, at most {days}d",
                age.num_days()
            )),
            (None, Some(schedule)) => {
                let first = schedule.next_after(inputs.now);
                let second = first.and_then(|f| schedule.next_after(f));
                if let (Some(a), Some(b)) = (first, second)
                    && b - a > limit
                {
                    why.push(format!(
                        "schedule_interval_over_limit: {} runs every {}d, at most {days}d",
                        schedule.source,
                        (b - a).num_days()
                    ));
                }
            }
            (None, None) => why.push(format!(
                "no_rotation_limit: the record sets neither max_age nor schedule (at most {days}d)"
            )),
            _ => {}
        },
    }
    if let Some(created) = line.facts.and_then(|f| f.current_created_at)
        && inputs.now - created > limit
    {
        why.push(format!(
            "age_over_limit: the current version is {}d old, at most {days}d",
            (inputs.now - created).num_days()
        ));
    }
    why
}

/// Evaluates `control`.
pub fn evaluate(
    control: &Control,
    inputs: &Inputs<'_>,
    latest: &HashMap<&str, &TrailEntry>,
    causes: &[Revocation],
    rotations: &[Rotation],
) -> ControlReport {
    let mut report = ControlReport {
        control: control.clone(),
        status: "pass",
        population: Vec::new(),
        out_of_policy: Vec::new(),
        unavailable: Vec::new(),
        exceptions: Vec::new(),
        time_to_revoke: None,
        rotations: None,
    };
    for line in lines(inputs).iter().filter(|l| in_scope(control, l)) {
        let e = &line.entry;
        let listed = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .filter(|r| control.out_of_policy.iter().any(|c| c.as_str() == **r))
                .map(|r| (*r).to_owned())
                .collect()
        };
        let mut why = listed(&e.reasons);
        let mut waived = listed(&e.waived);
        let ages = control
            .max_age_days
            .map(|d| age_findings(d, line, inputs))
            .unwrap_or_default();
        let excepted = e.reasons.contains(&"exception_active");
        if excepted {
            waived.extend(ages);
        } else {
            why.extend(ages);
        }
        let mut unavailable = Vec::new();
        if e.detail.is_some() && e.attestation == Some("unavailable") {
            unavailable.push(format!(
                "inventory_unavailable: {}",
                e.detail.as_deref().unwrap_or_default()
            ));
        } else if control.unused_days.is_some() && !e.reasons.contains(&"disabled") {
            unavailable.push(
                "last_use_unknown: no target reports when a credential was last used".to_owned(),
            );
        }
        let evidence = latest
            .get(e.secret.as_str())
            .map(|entry| entry.hash.clone());
        let status = if !why.is_empty() {
            "out_of_policy"
        } else if !unavailable.is_empty() {
            "unavailable"
        } else if !waived.is_empty() {
            "excepted"
        } else {
            "compliant"
        };
        report.population.push(Member {
            secret: e.secret.clone(),
            record: e.record.map(str::to_owned),
            decision: e.decision,
            status,
        });
        let finding = |why: Vec<String>| Finding {
            secret: e.secret.clone(),
            record: e.record.map(str::to_owned),
            owner: e.owner.map(str::to_owned),
            decision: e.decision,
            why,
            evidence: evidence.clone(),
        };
        if !waived.is_empty()
            && let Some((record, exception)) = line
                .record
                .and_then(|r| r.exception.as_ref().map(|x| (r, x)))
        {
            report.exceptions.push(Excepted {
                secret: e.secret.clone(),
                record: record.id.clone(),
                waived,
                approved_by: exception.approved_by.clone(),
                reason: exception.reason.clone(),
                until: tenure_plugin_api::stamp(exception.until),
                evidence: evidence.clone(),
            });
        }
        if !why.is_empty() {
            report.out_of_policy.push(finding(why));
        } else if !unavailable.is_empty() {
            report.unavailable.push(finding(unavailable));
        }
    }
    let scoped = |secret: &str| report.population.iter().any(|m| m.secret == secret);
    if control.figures.contains(&Figure::TimeToRevoke) {
        let mine = causes
            .iter()
            .filter(|c| scoped(&c.secret) && inputs.in_window(c.at))
            .cloned()
            .collect();
        report.time_to_revoke = Some(figures::time_to_revoke(
            mine,
            control.revoke_within,
            inputs.now,
        ));
    }
    if control.figures.contains(&Figure::Rotations) {
        let mine = rotations
            .iter()
            .filter(|r| scoped(&r.secret) && inputs.in_window(r.started_at))
            .cloned()
            .collect();
        report.rotations = Some(figures::rotations(mine));
    }
    report.status = status_of(&report);
    report
}

/// pass, fail, unavailable or empty.
fn status_of(report: &ControlReport) -> &'static str {
    let revoke = report.time_to_revoke.as_ref();
    let rotations = report.rotations.as_ref();
    let failed = !report.out_of_policy.is_empty()
        || revoke.is_some_and(|t| t.late > 0 || t.open_past_limit > 0)
        || rotations.is_some_and(|r| r.late > 0);
    let measured = revoke.is_some_and(|t| !t.events.is_empty())
        || rotations.is_some_and(|r| !r.rotations.is_empty());
    if failed {
        "fail"
    } else if !report.unavailable.is_empty() || rotations.is_some_and(|r| r.unavailable > 0) {
        "unavailable"
    } else if report.population.is_empty() && !measured {
        "empty"
    } else {
        "pass"
    }
}
