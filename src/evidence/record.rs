//! The governance record and its approval lineage as the evidence shows
//! them: from the configuration in effect (the governance files with the
//! stored signals, such as completed reviews and owners who left, layered
//! over them), with the owner's and workloads' status today.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use tenure_plugin_api::stamp;

use super::model::{ApprovalView, ExceptionView, LineageView, RecordView, StandingView};
use crate::governance::{Governance, Record, Standing};

/// What vouches for the record and lineage shown.
pub const SOURCE: &str = "The record and lineage are those of the configuration in effect when this evidence was written (the governance files, with stored signals such as completed reviews and owners who left layered over them). They are not signed: each decision entry below records the lineage it was decided under, and those entries are signed.";

fn standing<S: serde::Serialize>(id: &str, known: &HashMap<String, Standing<S>>) -> StandingView {
    let (status, since) = known.get(id).map_or_else(
        || ("unknown".to_owned(), None),
        |s| {
            let status = serde_json::to_value(&s.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".to_owned());
            (status, s.since.map(stamp))
        },
    );
    StandingView {
        id: id.to_owned(),
        status,
        since,
    }
}

/// A duration as people write it (`90d`, `1h 30m`).
fn span(delta: TimeDelta) -> String {
    delta.to_std().map_or_else(
        |_| delta.to_string(),
        |d| humantime::format_duration(d).to_string(),
    )
}

/// `record` as the evidence shows it.
pub fn record_view(record: &Record, governance: &Governance) -> RecordView {
    RecordView {
        id: record.id.clone(),
        selector: record.selector.to_string(),
        owner: standing(&record.owner, &governance.owners),
        owner_group: record.owner_group.as_ref().map(|g| g.name.clone()),
        purpose: record.purpose.clone(),
        workloads: record
            .workloads
            .iter()
            .map(|w| standing(w, &governance.workloads))
            .collect(),
        target: record.target.clone(),
        account: record.account.clone(),
        scopes: record.scopes.clone(),
        max_age: record.max_age.map(span),
        schedule: record.schedule.as_ref().map(|s| s.source.clone()),
        expires: record.expires.map(stamp),
    }
}

/// `record`'s lineage at `now` (whether its exception still holds).
pub fn lineage_view(record: &Record, now: DateTime<Utc>) -> LineageView {
    LineageView {
        approval: ApprovalView {
            by: record.approval.by.clone(),
            at: stamp(record.approval.at),
            ticket: record.approval.ticket.clone(),
        },
        review_by: record.review_by.map(stamp),
        last_review: record.last_review.clone(),
        exception: record.exception.as_ref().map(|e| ExceptionView {
            approved_by: e.approved_by.clone(),
            until: stamp(e.until),
            reason: e.reason.clone(),
            in_force: e.until > now,
        }),
    }
}
