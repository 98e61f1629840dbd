//! Workflows: rotate, revoke and narrow as persisted, resumable state machines.
//!
//! - Rotate: create pending → set in target → test → promote → (after
//!   `grace`) retire the previous credential. A failed test rolls back: the
//!   target is restored, the pending version discarded, the current
//!   credential untouched.
//! - Revoke: disable in target → verify the credential no longer works →
//!   disable in the vault (and read back that it is disabled).
//! - Narrow: cut privileges to the approved scopes → read them back.
//! - Retire (when attestation finds a retired credential alive again, or the
//!   vault still serving a retired value): disable retired logins and
//!   credentials → prove them refused → destroy the values in the vault and
//!   prove they are unreadable.
//!
//! Every retirement and revocation records the logins it disabled and the
//! proof that they, and the credential, are refused.
//!
//! Each phase is persisted (compare-and-swap) before its side effect and is
//! idempotent, so a process killed anywhere resumes the run where it stood.
//! Failures are retried with exponential backoff and jitter up to
//! `retry.max_attempts`; a run that gives up counts against the secret, and
//! a secret that keeps failing is quarantined and escalated.

mod backoff;
mod checks;
mod context;
mod engine;
mod fault;
mod holder;
mod retire;
mod revoke;
mod steps;

pub use checks::{
    Login, login, logins_disabled, stale_versions, vault_refuses, version_unreadable,
};
pub use engine::{Engine, EngineError, Outcome, StillNeeded};
pub use fault::FAULT_ENV;
pub use holder::new_holder;
