//! The decision engine: a pure function from facts and the approved state to a [`Decision`].
//!
//! [`decide`] reads nothing but its arguments and allocates nothing, so a plan
//! of a million secrets is bounded by inventory, not by policy. Every rule
//! adds a [`Reason`] with an action; the strongest action wins, with the
//! precedence revoke > narrow > rotate > retire > escalate > compliant. An
//! active exception waives rotation and narrowing (never revocation, nor a
//! repair attestation asks for). What attestation found is a fact like any
//! other; a check that could not be made is never compliant.

mod decide;
mod decision;
mod findings;
mod reason;

pub use decide::decide;
pub use decision::{Decision, DecisionKind, Defaults, Subject};
pub use reason::{Reason, Reasons};

#[cfg(test)]
mod tests;
