//! Workflows: rotate, revoke and narrow as persisted, resumable state machines.
//!
//! - Rotate: create pending → set in target → test → promote → (after
//!   `grace`) retire the previous credential. A failed test rolls back: the
//!   target is restored, the pending version discarded, the current
//!   credential untouched.
//! - Revoke: disable in target → verify the credential no longer works →
//!   disable in the vault (and read back that it is disabled).
//! - Narrow: cut privileges to the approved scopes → read them back.
//!
//! Each phase is persisted (compare-and-swap) before its side effect and is
//! idempotent, so a process killed anywhere resumes the run where it stood.
//! Failures are retried with exponential backoff and jitter up to
//! `retry.max_attempts`; a run that gives up counts against the secret, and
//! a secret that keeps failing is quarantined and escalated.

mod backoff;
mod engine;
mod fault;
mod holder;
mod steps;

pub use engine::{Engine, EngineError, Outcome, StillNeeded};
pub use fault::FAULT_ENV;
pub use holder::new_holder;
