//! How a command reports how it ended: the message (stdout for what was
//! done, stderr for what failed, each prefixed `tenure:`) and the exit code.

use std::io::Write;

use tenure_plugin_api::SecretAddress;

use super::ExitCode;
use crate::workflow::Outcome;

/// Says what failed; the exit code of a runtime failure.
pub(super) fn runtime(err: impl std::fmt::Display) -> ExitCode {
    fail(err);
    ExitCode::Runtime
}

pub(super) fn fail(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "tenure: {message}");
}

/// Says what went wrong; the exit code: not found for an address no vault
/// lists, usage for one no record governs, a runtime failure otherwise.
pub(super) fn reconcile_error(err: crate::reconcile::ReconcileError) -> ExitCode {
    match err {
        crate::reconcile::ReconcileError::UnknownSecret(secret) => {
            fail(format!("{secret} is not in the inventory of its provider"));
            ExitCode::NotFound
        }
        err @ crate::reconcile::ReconcileError::NotGoverned(_) => {
            fail(err);
            ExitCode::Config
        }
        other => runtime(other),
    }
}

pub(super) fn outcome_code(address: &SecretAddress, outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Succeeded => {
            println!("{address}: succeeded.");
            ExitCode::Ok
        }
        Outcome::Promoted { retire_at } => {
            println!(
                "{address}: rotated; the previous credential is retired after {}.",
                retire_at.to_rfc3339()
            );
            ExitCode::Ok
        }
        Outcome::PendingApproval { approval } => {
            println!(
                "{address}: waits for an approver: request {approval} (another approver runs `tenure approve {approval}`)."
            );
            ExitCode::ActionFailed
        }
        other => {
            fail(format!("{address}: {other:?}"));
            ExitCode::ActionFailed
        }
    }
}
