//! `tenure report`: a framework's control report from the current plan,
//! the audit trail and the vaults' version history, as HTML, JSON or CSV,
//! to stdout or a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use super::ExitCode;
use super::report::{fail, runtime};
use crate::app::App;
use crate::audit::{TrailFilter, read_trail};
use crate::report::{self, Inputs, ReportError, Versions};

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page.
    Html,
    /// The report's model.
    Json,
    /// One row per control and finding.
    Csv,
}

/// `tenure report ...`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The framework: a built-in one (cis-aws-foundations, nist-800-53,
    /// pci-dss-4.0, soc2) or `<name>.toml` in --frameworks.
    #[arg(long)]
    pub framework: String,
    /// A folder of framework files of your own (one `<name>.toml` each);
    /// they take precedence over built-in ones of the same name.
    #[arg(long, value_name = "DIR", env = "TENURE_FRAMEWORKS")]
    pub frameworks: Option<PathBuf>,
    /// Measure causes and rotations from this time (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub from: Option<DateTime<Utc>>,
    /// Measure causes and rotations before this time (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub to: Option<DateTime<Utc>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The framework named by `args`, or why not (a usage error).
pub fn framework(args: &ReportArgs) -> Result<report::Framework, ExitCode> {
    report::find(&args.framework, args.frameworks.as_deref()).map_err(|err| {
        match &err {
            ReportError::Invalid(diagnostics) => {
                for d in diagnostics {
                    fail(d);
                }
            }
            other => fail(other),
        }
        ExitCode::Config
    })
}

/// Writes the report for `args`.
pub(super) async fn report(
    app: &App,
    args: &ReportArgs,
    framework: &report::Framework,
) -> Result<ExitCode, ExitCode> {
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from >= to
    {
        fail("--from must be before --to");
        return Err(ExitCode::Config);
    }
    let now = Utc::now();
    let config = app.config();
    let plan = app.plan(now).await.map_err(runtime)?;
    let inventory = app.inventory(&config).await.map_err(runtime)?;
    let mut versions = Versions::new();
    for (address, meta) in &inventory.metadata {
        for v in &meta.versions {
            versions.insert((address.to_string(), v.id.0.clone()), v.created_at);
        }
    }
    let trail = read_trail(&config.audit_log, TrailFilter::default()).map_err(runtime)?;
    let inputs = Inputs {
        config: &config,
        plan: &plan,
        trail: &trail,
        versions: &versions,
        now,
        from: args.from,
        to: args.to,
    };
    let built = report::build(framework, &inputs);
    write(&built, args.format, args.output.as_deref()).map_err(runtime)?;
    if let Some(path) = &args.output {
        let s = &built.summary;
        println!(
            "{}: {} controls of {}: {} pass, {} fail, {} unavailable, {} empty.",
            path.display(),
            s.controls,
            built.framework,
            s.pass,
            s.fail,
            s.unavailable,
            s.empty
        );
    }
    Ok(ExitCode::Ok)
}

fn write(built: &report::Report, format: ReportFormat, to: Option<&Path>) -> Result<(), String> {
    let mut buffer = Vec::new();
    match format {
        ReportFormat::Json => {
            report::render::json(built, &mut buffer).map_err(|e| e.to_string())?
        }
        ReportFormat::Csv => report::render::csv(built, &mut buffer).map_err(|e| e.to_string())?,
        ReportFormat::Html => buffer = report::render::html(built).into_bytes(),
    }
    match to {
        Some(path) => std::fs::write(path, &buffer)
            .map_err(|e| format!("{}: cannot write: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(&buffer)
            .map_err(|e| e.to_string()),
    }
}
