//! [`Lineage`]: a record's approval lineage as the plan, the API and the
//! audit trail show it: who approved the access, when and under which
//! ticket, when it must be reviewed again, and the last review.

use serde::Serialize;
use tenure_plugin_api::stamp;

use crate::governance::{Record, Review};

/// Who approved a record's access.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView<'a> {
    /// The approver.
    pub by: &'a str,
    /// When (RFC 3339).
    pub at: String,
    /// The ticket, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<&'a str>,
}

/// A record's approval lineage.
#[derive(Debug, Clone, Serialize)]
pub struct Lineage<'a> {
    /// The approval in the governance files.
    pub approval: ApprovalView<'a>,
    /// When the record must be reviewed again (RFC 3339), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_by: Option<String>,
    /// The last completed review, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_review: Option<&'a Review>,
}

impl<'a> Lineage<'a> {
    /// The lineage of `record`.
    pub fn of(record: &'a Record) -> Self {
        Self {
            approval: ApprovalView {
                by: &record.approval.by,
                at: stamp(record.approval.at),
                ticket: record.approval.ticket.as_deref(),
            },
            review_by: record.review_by.map(stamp),
            last_review: record.last_review.as_ref(),
        }
    }
}
