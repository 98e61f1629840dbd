//! Four-eyes approval of destructive actions (issue 13, in progress).
//!
//! A decided action that `[approvals] require`s a person waits as an
//! [`Approval`] in `pending`; it runs only once an approver other than the
//! requester approved it, before it expires, and only while the decision
//! it was asked for still stands (decided again under the lease: a changed
//! decision makes the approval `stale`, never runs it).
//!
//! ```text
//! policy   which actions need approval, which reasons bypass it, how long a request lives
//! model    one approval and its transitions: approve, reject, expire, use, stale
//! ```

mod model;
mod policy;

pub use model::{Admission, Approval, ApprovalAction, ApprovalError, ApprovalStatus};
pub use policy::ApprovalPolicy;
