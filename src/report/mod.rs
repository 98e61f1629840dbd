//! Control reports for auditors: for each control of a framework (a data
//! file, `framework`), the population of secrets in scope, those out of
//! policy and why, the exceptions and their approvals, those a check could
//! not be made for, and the measured figures (time to revoke, rotations on
//! time), each finding with the audit entries that evidence it.
//!
//! ```text
//! framework    the control model, read from TOML and checked
//! load         built-in frameworks (config/frameworks/) and the user's folder
//! controls     one control evaluated against the plan
//! revocations  causes of revocation and their proofs, from the trail
//! rotations    rotations and their due times, from the trail
//! figures      the figures judged against a control's limits; percentiles
//! render/      JSON (the model), CSV, self-contained HTML
//! ```
//!
//! [`build`] is pure: the plan, the trail and the vaults' version history in,
//! the [`Report`] out.

mod controls;
mod figures;
mod framework;
mod load;
pub mod render;
mod revocations;
mod rotations;
mod trail;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::TrailEntry;
use crate::config::{Config, Diagnostic};
use crate::plan::Plan;

pub use controls::{ControlReport, Excepted, Finding, Member};
pub use figures::{RevocationRow, Rotations, TimeToRevoke, percentile};
pub use framework::{Control, Figure, Framework, Population};
pub use load::{BUILT_IN, find, known};
pub use revocations::Revocation;
pub use rotations::{Rotation, Versions};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No framework has that name.
    #[error("unknown framework {name:?}; known: {}", known.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names known.
        known: Vec<String>,
    },
    /// A framework file or folder could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A framework file has mistakes.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
}

/// What a report is made from.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The configuration in effect.
    pub config: &'a Config,
    /// The current plan.
    pub plan: &'a Plan,
    /// The whole audit trail, in order.
    pub trail: &'a [TrailEntry],
    /// When each version of each secret was written, from the vaults.
    pub versions: &'a Versions,
    /// When the report is made.
    pub now: DateTime<Utc>,
    /// Only figures of causes and rotations at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only figures of causes and rotations before this time.
    pub to: Option<DateTime<Utc>>,
}

impl Inputs<'_> {
    fn in_window(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at < t)
    }
}

/// How many controls ended how.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Controls in the framework.
    pub controls: usize,
    /// Nothing out of policy, nothing unavailable, nothing late.
    pub pass: usize,
    /// Something out of policy or late.
    pub fail: usize,
    /// Nothing failed, but a check could not be made.
    pub unavailable: usize,
    /// No secret in scope and nothing measured.
    pub empty: usize,
}

/// A framework's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The framework.
    pub framework: String,
    /// Its title.
    pub title: String,
    /// What it is.
    pub about: String,
    /// Where its controls were read from.
    pub source: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The window of the measured figures, if limited.
    pub from: Option<DateTime<Utc>>,
    /// The window's end, if limited.
    pub to: Option<DateTime<Utc>>,
    /// The audit trail read.
    pub audit_log: String,
    /// How many entries it held.
    pub trail_entries: usize,
    /// The hash of its last entry: what `tenure audit verify` proves the rest up to.
    pub trail_head: Option<String>,
    /// Controls by outcome.
    pub summary: Summary,
    /// Each control.
    pub controls: Vec<ControlReport>,
}

/// The report of `framework` from `inputs`.
pub fn build(framework: &Framework, inputs: &Inputs<'_>) -> Report {
    let config = inputs.config;
    let mut record_of_secret: HashMap<String, usize> = HashMap::new();
    for planned in &inputs.plan.secrets {
        if let Some(r) = planned.record {
            record_of_secret.insert(inputs.plan.address(planned).to_string(), r);
        }
    }
    let record_of = |secret: &str| {
        record_of_secret
            .get(secret)
            .map(|&i| &config.governance.records[i])
    };
    let causes = revocations::measure(inputs.trail, record_of);
    let rotations = rotations::measure(inputs.trail, inputs.versions, record_of);
    let latest = trail::latest_decisions(inputs.trail);
    let controls: Vec<ControlReport> = framework
        .controls
        .iter()
        .map(|control| controls::evaluate(control, inputs, &latest, &causes, &rotations))
        .collect();
    let mut summary = Summary {
        controls: controls.len(),
        ..Summary::default()
    };
    for c in &controls {
        match c.status {
            "pass" => summary.pass += 1,
            "fail" => summary.fail += 1,
            "unavailable" => summary.unavailable += 1,
            _ => summary.empty += 1,
        }
    }
    Report {
        framework: framework.name.clone(),
        title: framework.title.clone(),
        about: framework.about.clone(),
        source: framework.source.clone(),
        generated_at: inputs.now,
        from: inputs.from,
        to: inputs.to,
        audit_log: config.audit_log.display().to_string(),
        trail_entries: inputs.trail.len(),
        trail_head: inputs.trail.last().map(|e| e.hash.clone()),
        summary,
        controls,
    }
}
