//! `tenure plan`: the dry run, printed; with `--fail-on`, a pipeline gate
//! that exits 1 when any line's decision is one of those listed, and says
//! on stderr how many of each there were.

use std::collections::BTreeMap;
use std::io::Write;

use clap::ValueEnum;

use super::report::runtime;
use super::{ExitCode, PlanFormat, output};
use crate::app::App;
use crate::policy::DecisionKind;

/// A decision kind `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    /// compliant
    Compliant,
    /// rotate
    Rotate,
    /// narrow
    Narrow,
    /// retire
    Retire,
    /// revoke
    Revoke,
    /// escalate
    Escalate,
}

impl FailOn {
    fn kind(self) -> DecisionKind {
        match self {
            Self::Compliant => DecisionKind::Compliant,
            Self::Rotate => DecisionKind::Rotate,
            Self::Narrow => DecisionKind::Narrow,
            Self::Retire => DecisionKind::Retire,
            Self::Revoke => DecisionKind::Revoke,
            Self::Escalate => DecisionKind::Escalate,
        }
    }
}

/// How many lines of `decisions` have a decision `fail_on` names, per name
/// (only those with at least one).
pub fn gate<'a>(
    decisions: impl IntoIterator<Item = &'a str>,
    fail_on: &[FailOn],
) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for decision in decisions {
        if let Some(kind) = fail_on
            .iter()
            .map(|f| f.kind().as_str())
            .find(|name| *name == decision)
        {
            *counts.entry(kind).or_insert(0) += 1;
        }
    }
    counts
}

/// Prints the plan; with `fail_on`, exits 1 when a line's decision is listed.
pub(super) async fn plan(
    app: &App,
    format: PlanFormat,
    fail_on: &[FailOn],
) -> Result<ExitCode, ExitCode> {
    let plan = app.plan(chrono::Utc::now()).await.map_err(runtime)?;
    let config = app.config();
    let entries = plan.entries(&config);
    output::print_plan(&entries, format).map_err(runtime)?;
    let counts = gate(entries.iter().map(|e| e.decision), fail_on);
    if counts.is_empty() {
        return Ok(ExitCode::Ok);
    }
    let found: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        std::io::stderr(),
        "tenure: plan --fail-on: {} ({} in all)",
        found.join(", "),
        counts.values().sum::<usize>()
    );
    Ok(ExitCode::ActionFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_decisions_count() {
        let lines = ["compliant", "revoke", "escalate", "revoke", "rotate"];
        let counts = gate(lines, &[FailOn::Revoke, FailOn::Narrow, FailOn::Escalate]);
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            [("escalate", 1), ("revoke", 2)]
        );
        assert!(gate(lines, &[FailOn::Narrow]).is_empty());
        assert!(gate(lines, &[]).is_empty());
    }
}
