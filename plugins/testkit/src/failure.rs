//! A conformance failure, and the step helpers the suites share: a step's
//! error says which step failed, a behaviour's which behaviour.

use std::future::Future;

use tenure_plugin_api::PluginError;

/// A behaviour of a conformance suite that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{behaviour}: {detail}")]
pub struct Failure {
    /// The behaviour, as its function is named (e.g. `rollback_keeps_the_current_credential`).
    pub behaviour: &'static str,
    /// The step that failed within it, and how.
    pub detail: String,
}

/// Runs the steps of `behaviour`; a step's error becomes a [`Failure`] naming it.
pub(crate) async fn behaviour<T>(
    behaviour: &'static str,
    steps: impl Future<Output = Result<T, String>>,
) -> Result<T, Failure> {
    steps.await.map_err(|detail| Failure { behaviour, detail })
}

/// One step: its error, prefixed with the step's name.
pub(crate) fn step<T>(name: &str, result: Result<T, PluginError>) -> Result<T, String> {
    result.map_err(|e| format!("{name}: {e}"))
}

/// A step run twice: both times must succeed (replays are idempotent).
pub(crate) async fn twice<T, F, Fut>(name: &str, mut op: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, PluginError>>,
{
    step(name, op().await)?;
    step(&format!("{name} (replayed)"), op().await)
}
