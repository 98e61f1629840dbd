//! Fault injection for crash tests: pause at a phase boundary so a test can
//! `kill -9` the process exactly there.
//!
//! With `TENURE_FAULT_PAUSE_AT=<phase>:<before|after>` set, the process
//! prints `Paused at <phase>:<when>.` on stderr when it reaches that
//! boundary and waits forever. `before` is after the phase was persisted and
//! before its side effect; `after` is after the side effect and before the
//! next phase is persisted. Nothing else reads this variable.

use std::io::Write;

use crate::state::Phase;

/// The environment variable that names the pause point.
pub const FAULT_ENV: &str = "TENURE_FAULT_PAUSE_AT";

/// Which side of a phase's side effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// Persisted, side effect not yet done.
    Before,
    /// Side effect done, next phase not yet persisted.
    After,
}

/// Pauses forever when the environment asks to pause at this boundary.
pub async fn maybe_pause(phase: Phase, boundary: Boundary) {
    let Ok(spec) = std::env::var(FAULT_ENV) else {
        return;
    };
    let when = match boundary {
        Boundary::Before => "before",
        Boundary::After => "after",
    };
    if spec == format!("{phase}:{when}") {
        let mut stderr = std::io::stderr();
        let _ = writeln!(stderr, "Paused at {phase}:{when}.");
        let _ = stderr.flush();
        std::future::pending::<()>().await;
    }
}
