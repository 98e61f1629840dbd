//! The decision engine: a pure function from facts and the approved state to a [`Decision`].
//!
//! [`decide`] reads nothing but its arguments and allocates nothing, so a plan
//! of a million secrets is bounded by inventory, not by policy. Every rule
//! adds a [`Reason`] with an action; the strongest action wins, with the
//! precedence revoke > narrow > rotate > escalate > compliant. An active
//! exception waives rotation and narrowing (never revocation).

mod decide;
mod reason;

pub use decide::{Decision, DecisionKind, Defaults, Subject, decide};
pub use reason::{Reason, Reasons};

#[cfg(test)]
mod tests;
