//! `[[workloads]]`: the systems records approve, and whether they moved or are gone.

use super::Checker;
use super::checker::FirstDefinitions;
use crate::config::document::Located;
use crate::config::raw::RawWorkload;
use crate::governance::{Workload, WorkloadStatus};

/// Reports a moved workload without `since`.
fn check_moved_has_since(check: &mut Checker<'_>, located: &Located<RawWorkload>) {
    let workload = &located.value;
    if *workload.status.get_ref() == WorkloadStatus::Moved && workload.since.is_none() {
        check.report_field(
            located,
            "status",
            workload.status.span(),
            "a moved workload needs `since` (when it moved), to tell credentials issued before the move from those issued after",
        );
    }
}

/// Checks every workload (ids are unique; a repeated one is reported and left out).
pub fn check_workloads(check: &mut Checker<'_>, raw: &[Located<RawWorkload>]) -> Vec<Workload> {
    let mut first = FirstDefinitions::default();
    let mut workloads = Vec::new();
    for located in raw {
        let workload = &located.value;
        if !first.is_new(check, located, &workload.id, "workload") {
            continue;
        }
        check_moved_has_since(check, located);
        workloads.push(Workload {
            id: workload.id.get_ref().clone(),
            status: *workload.status.get_ref(),
            since: workload.since.map(|t| t.0),
        });
    }
    workloads
}
