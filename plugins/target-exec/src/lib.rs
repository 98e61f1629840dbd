//! The `exec` target: credentials managed by an external program, in any language.
//!
//! For every operation Tenure starts the configured program, writes one JSON
//! request to its stdin and reads one JSON response from its stdout (see
//! `PROTOCOL.md` beside this crate). Secret values travel only on stdin and
//! stdout: never in arguments or the environment, which is cleared except
//! for `PATH`, `LANG` and the non-secret variables the config names. The
//! program has a timeout; a non-zero exit is a failure. What the program
//! says (its stderr, error messages, proofs) is filtered before Tenure passes
//! it on: the exchange's secret values masked, one line, bounded length;
//! stderr is logged at debug level only, as its length and first line.

mod config;
mod plugin;
mod protocol;
mod redact;
mod runner;
mod target;

pub use config::ExecConfig;
pub use plugin::Plugin;
pub use protocol::PROTOCOL_VERSION;
pub use target::ExecTarget;

/// The response reader, as the fuzz targets drive it: what a program wrote
/// on stdout, read with `secrets` (the request's values) masked; `None`
/// when it is not a response, else every text Tenure would report on.
#[doc(hidden)]
pub fn fuzz_read_response<'a>(
    stdout: &[u8],
    secrets: impl IntoIterator<Item = &'a str>,
) -> Option<Vec<String>> {
    let mut redactor = redact::Redactor::new(secrets);
    let response = protocol::read_response(stdout, &mut redactor)?;
    Some(
        protocol::reported_texts(&response)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    )
}
