//! Cross-checks the parts read from every file and builds the [`Config`].
//!
//! Everything serde cannot see is checked here: duplicate ids, references
//! to providers and targets that do not exist, selectors, durations that
//! contradict each other. Each TOML section has its own `check_<section>`
//! in [`check`](super::check); this runs them in order and assembles the
//! result. All problems are collected. Pure: no I/O.

use std::path::Path;

use super::check::{
    Checker, Known, check_approvals, check_defaults, check_nats, check_notify, check_owners,
    check_providers, check_records, check_retry, check_schedule, check_scim, check_server,
    check_target_settings, check_targets, check_tenure, check_workloads,
};
use super::diagnostics::{Diagnostic, SourceFile};
use super::document::Parts;
use super::{Config, RetryPolicy};
use crate::governance::{Governance, Owner, Record, Workload};

/// Indexes the checked records, owners and workloads; an error is reported
/// at the top of the main file.
fn index_governance(
    check: &mut Checker<'_>,
    records: Vec<Record>,
    owners: Vec<Owner>,
    workloads: Vec<Workload>,
) -> Option<Governance> {
    match Governance::new(records, owners, workloads) {
        Ok(governance) => Some(governance),
        Err(err) => {
            check.report_in(0, 0..0, "records", err.to_string());
            None
        }
    }
}

/// Builds the configuration; `None` when any diagnostic was added.
pub fn build(
    files: &[SourceFile],
    parts: Parts,
    base: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Config> {
    let errors_before = diagnostics.len();
    let mut check = Checker::new(files, diagnostics);

    let tenure = check_tenure(&mut check, parts.tenure, base);
    let server = parts
        .server
        .map(|server| check_server(&mut check, server, base));
    let scim = parts
        .scim
        .map(|scim| check_scim(&mut check, scim, server.is_some(), base));
    let approvals = parts.approvals.map_or_else(Default::default, |approvals| {
        check_approvals(&mut check, approvals)
    });
    let retry = parts.retry.map_or_else(RetryPolicy::default, |retry| {
        check_retry(&mut check, &retry)
    });
    let (defaults, record_defaults) = check_defaults(&mut check, parts.defaults.as_ref());
    let providers = check_providers(&mut check, parts.providers, base);
    let notify = parts
        .notify
        .map(|notify| check_notify(&mut check, notify, base));
    let nats = parts.nats.map(|nats| check_nats(&mut check, nats, base));
    let (schedule, budgets) = check_schedule(&mut check, parts.schedule, &providers);
    let targets = check_targets(&mut check, parts.targets, base);
    let target_settings = check_target_settings(&mut check, parts.target_settings, &targets);
    let owners = check_owners(&mut check, &parts.owners);
    let workloads = check_workloads(&mut check, &parts.workloads);
    let known = Known {
        providers: &providers,
        targets: &targets,
    };
    let records = check_records(&mut check, &parts.records, &known, &record_defaults);

    if check.count() > errors_before {
        return None;
    }
    let governance = index_governance(&mut check, records, owners, workloads)?;
    Some(Config {
        path: files[0].path.clone(),
        files: files.iter().map(|f| f.path.clone()).collect(),
        state_dir: tenure.state_dir,
        state_url: tenure.state_url,
        audit_log: tenure.audit_log,
        audit_key: tenure.audit_key,
        reconcile_interval: tenure.reconcile_interval,
        lease_ttl: tenure.lease_ttl,
        attest_retention: tenure.attest_retention,
        concurrency: tenure.concurrency,
        retry,
        server,
        scim,
        approvals,
        notify,
        nats,
        schedule,
        budgets,
        defaults,
        providers,
        targets,
        target_settings,
        governance,
    })
}
