//! Logging setup: text or JSON lines on stderr, level from `-v` flags or `TENURE_LOG`.
//!
//! Tenure's own crates log at the chosen level; dependencies log only
//! warnings (hyper only errors: it warns for every client that times out). The HTTP layers under the vault client (`vaultrs`, `rustify`)
//! are silenced entirely: they log every failed request as several ERROR
//! lines from their internal spans, and Tenure already reports each failure
//! once, naming the provider and the cause. `TENURE_LOG` replaces all of
//! this with its own filter.

use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Crates whose every error Tenure reports itself, with context.
const SILENCED: &[&str] = &["vaultrs", "rustify"];

/// Crates that warn about their peers' faults: hyper warns for every client
/// that times out, which a slow or hostile client can make a flood.
const ERRORS_ONLY: &[&str] = &["hyper"];

/// Tenure's own crates: the binary/library and every plugin crate.
const OWN: &[&str] = &[
    "tenure",
    "tenure_plugin_api",
    "tenure_provider",
    "tenure_target",
];

/// The filter used when `TENURE_LOG` is unset: `level` for Tenure's crates,
/// `warn` for dependencies, nothing from the silenced ones.
pub fn default_filter(verbosity: u8) -> String {
    let level = match verbosity {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let mut directives = vec!["warn".to_string()];
    // A target directive matches by prefix, so `tenure_provider` covers
    // every provider plugin crate and `tenure_target` every target crate.
    directives.extend(OWN.iter().map(|krate| format!("{krate}={level}")));
    directives.extend(ERRORS_ONLY.iter().map(|krate| format!("{krate}=error")));
    directives.extend(SILENCED.iter().map(|krate| format!("{krate}=off")));
    directives.join(",")
}

/// Installs the global subscriber. `verbosity` 0 = info, 1 = debug, 2+ = trace
/// for Tenure's crates; `TENURE_LOG` (an `EnvFilter` directive) overrides it.
pub fn init(format: LogFormat, verbosity: u8) {
    let filter = EnvFilter::try_from_env("TENURE_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter(verbosity)));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // Already installed (tests): keep the first.
    drop(result);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_filter_parses_and_keeps_dependencies_quiet() {
        for verbosity in 0..3 {
            let directives = default_filter(verbosity);
            assert!(EnvFilter::try_new(&directives).is_ok(), "{directives}");
            assert!(directives.starts_with("warn,"), "{directives}");
            assert!(directives.contains("vaultrs=off"), "{directives}");
        }
        assert!(default_filter(0).contains("tenure=info"));
        assert!(default_filter(2).contains("tenure_target=trace"));
    }
}
