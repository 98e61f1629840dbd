//! The command line: parsing (clap) and the commands, each returning an
//! [`ExitCode`]. The commands that act open the app with `crate::app::open`
//! and drain its background tasks before returning.
//!
//! Exit codes: 0 success; 1 an action did not succeed, or a check found
//! drift or could not be made (a provider or target could not be read);
//! 2 invalid configuration or usage; 3 the audit trail failed
//! verification; 4 the secret or path was not found; 5 a runtime failure
//! (state store, audit trail I/O).

use std::io::{Read, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use tenure_plugin_api::{ErrorKind, SecretAddress, SecretValue, Stage};

use crate::app::{self, App};
use crate::config::{self, Config};
use crate::plan::PlanEntry;
use crate::plugins::Plugins;
use crate::reconcile::AttestReport;
use crate::service;
use crate::state::RunKind;
use crate::telemetry::LogFormat;
use crate::workflow::Outcome;

mod audit;
mod exit;

pub use exit::ExitCode;

/// Tenure keeps every secret exactly as long as its governance allows.
#[derive(Debug, Parser)]
#[command(
    name = "tenure",
    version,
    about,
    after_help = "Exit codes: 0 success, 1 an action did not succeed or a check found drift or could not be made, 2 invalid configuration or usage, 3 audit trail failed verification, 4 not found, 5 runtime failure."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        short,
        long,
        global = true,
        default_value = "config/tenure.toml",
        env = "TENURE_CONFIG"
    )]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More logging (-v debug, -vv trace); TENURE_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the configuration; touches no network.
    CheckConfig,
    /// Dry run: every secret with its decision, reasons and next due time.
    Plan {
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
        format: PlanFormat,
    },
    /// Run the service loop (or one pass with --once).
    Run {
        /// Do one full pass and exit: 0 only if every action succeeded and
        /// every provider and target could be read.
        #[arg(long)]
        once: bool,
    },
    /// Attest now, read-only: does each credential still work, hold exactly
    /// its scopes, and do revoked and retired ones stay dead? Records the
    /// results; exits 1 when anything drifted or could not be checked.
    Attest {
        /// The secrets to attest, <provider>:<path> (default: every governed one).
        addresses: Vec<SecretAddress>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
        format: PlanFormat,
    },
    /// Rotate one secret now, through the rotation workflow.
    Rotate {
        /// The secret's address, <provider>:<path>.
        address: SecretAddress,
    },
    /// Revoke one secret now, through the revocation workflow.
    Revoke {
        /// The secret's address, <provider>:<path>.
        address: SecretAddress,
    },
    /// Audit trail commands.
    Audit {
        /// What to do with the trail.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Operate the embedded local vault.
    Local {
        /// Which local provider (default: the only one).
        #[arg(long)]
        provider: Option<String>,
        /// What to do.
        #[command(subcommand)]
        command: LocalCommand,
    },
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Aligned columns.
    Table,
    /// A JSON array.
    Json,
}

/// `tenure audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every line's hash chain and the head file, and every entry's
    /// signature with the configured key or the public keys given; names
    /// the first bad line.
    Verify {
        /// A public key (PEM, as `tenure audit pubkey` prints it) the
        /// entries may be signed with; repeat for several. Default: the
        /// configured signing key's.
        #[arg(long = "pubkey", value_name = "FILE")]
        pubkeys: Vec<PathBuf>,
        /// Check this trail (a copy elsewhere; its head file is `FILE.head`)
        /// instead of the configured one; reads no config.
        #[arg(long, value_name = "FILE")]
        trail: Option<PathBuf>,
    },
    /// Print the public key of the audit signing key (PEM), creating the
    /// key if it does not exist yet.
    Pubkey,
}

/// `tenure local ...`
#[derive(Debug, Subcommand)]
pub enum LocalCommand {
    /// Print every secret path, one per line.
    List,
    /// Print the current value of a secret.
    Get {
        /// The path.
        path: String,
    },
    /// Store a new current value read from stdin (never from the command line).
    Put {
        /// The path.
        path: String,
        /// Owner tag.
        #[arg(long)]
        owner: Option<String>,
        /// Workload tag.
        #[arg(long)]
        workload: Option<String>,
    },
}

fn fail(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "tenure: {message}");
}

fn load(path: &std::path::Path) -> Result<Config, ExitCode> {
    config::load(path).map_err(|err| {
        for line in err.lines() {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        ExitCode::Config
    })
}

/// Opens the app (see `crate::app`); says what failed, with its exit code.
async fn open(config: Config) -> Result<App, ExitCode> {
    app::open(config).await.map_err(|e| {
        let code = if e.is_config() {
            ExitCode::Config
        } else {
            ExitCode::Runtime
        };
        fail(e);
        code
    })
}

fn print_plan(entries: &[PlanEntry<'_>], format: PlanFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        PlanFormat::Json => {
            serde_json::to_writer_pretty(&mut out, entries)?;
            writeln!(out)
        }
        PlanFormat::Table => {
            let width = entries
                .iter()
                .map(|e| e.secret.len())
                .max()
                .unwrap_or(6)
                .max(6);
            writeln!(
                out,
                "{:<width$}  {:<9}  {:<20}  {:<32}  REASONS",
                "SECRET", "DECISION", "NEXT DUE", "ATTESTED"
            )?;
            for e in entries {
                let attested = match (e.last_attested.as_deref(), e.attestation) {
                    (Some(at), Some(result)) => format!("{at} {result}"),
                    (Some(at), None) => at.to_owned(),
                    (None, Some(result)) => result.to_owned(),
                    (None, None) => "never".to_owned(),
                };
                writeln!(
                    out,
                    "{:<width$}  {:<9}  {:<20}  {:<32}  {}",
                    e.secret,
                    e.decision,
                    e.next_due.as_deref().unwrap_or("-"),
                    attested,
                    if e.waived.is_empty() {
                        e.reasons.join(",")
                    } else {
                        format!("{} (waived: {})", e.reasons.join(","), e.waived.join(","))
                    }
                )?;
            }
            Ok(())
        }
    }
}

/// Says what went wrong; the exit code: not found for an address no vault
/// lists, usage for one no record governs, a runtime failure otherwise.
fn reconcile_error(err: crate::reconcile::ReconcileError) -> ExitCode {
    match err {
        crate::reconcile::ReconcileError::UnknownSecret(secret) => {
            fail(format!("{secret} is not in the inventory of its provider"));
            ExitCode::NotFound
        }
        err @ crate::reconcile::ReconcileError::NotGoverned(_) => {
            fail(err);
            ExitCode::Config
        }
        other => {
            fail(other);
            ExitCode::Runtime
        }
    }
}

fn print_attestations(report: &AttestReport, format: PlanFormat) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let stamp =
        |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match format {
        PlanFormat::Json => {
            let secrets: Vec<serde_json::Value> = report
                .attestations
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "secret": a.secret.to_string(),
                        "result": a.result(),
                        "findings": a.findings(),
                        "at": stamp(a.at),
                        "checks": a.checks,
                    })
                })
                .collect();
            let unmanaged: Vec<serde_json::Value> = report
                .unmanaged
                .iter()
                .map(|u| {
                    serde_json::json!({
                        "target": u.target, "account": u.login, "state": u.state,
                        "first_seen": stamp(u.first_seen), "last_seen": stamp(u.last_seen),
                    })
                })
                .collect();
            let errors: Vec<serde_json::Value> = report
                .discovery_errors
                .iter()
                .map(|(target, error)| serde_json::json!({ "target": target, "error": error }))
                .collect();
            let pass = report.pass.as_ref().map(|p| {
                serde_json::json!({
                    "id": p.id, "at": stamp(p.at), "attested": p.attested, "ok": p.ok,
                    "drift": p.drift, "unavailable": p.unavailable, "digest": p.digest,
                })
            });
            let busy: Vec<String> = report.busy.iter().map(ToString::to_string).collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "pass": pass,
                    "secrets": secrets,
                    "busy": busy,
                    "unmanaged": unmanaged,
                    "discovery_errors": errors,
                }),
            )?;
            writeln!(out)
        }
        PlanFormat::Table => {
            let width = report
                .attestations
                .iter()
                .map(|a| a.secret.to_string().len())
                .chain(
                    report
                        .unmanaged
                        .iter()
                        .map(|u| u.target.len() + u.login.len() + 1),
                )
                .max()
                .unwrap_or(6)
                .max(6);
            writeln!(out, "{:<width$}  {:<11}  FINDINGS", "SECRET", "RESULT")?;
            for a in &report.attestations {
                let findings = a.findings();
                writeln!(
                    out,
                    "{:<width$}  {:<11}  {}",
                    a.secret.to_string(),
                    a.result(),
                    if findings.is_empty() {
                        "-".to_owned()
                    } else {
                        findings.join(",")
                    }
                )?;
            }
            for u in &report.unmanaged {
                let result = if u.state == "found" {
                    "unmanaged"
                } else {
                    u.state.as_str()
                };
                writeln!(
                    out,
                    "{:<width$}  {:<11}  unmanaged_account",
                    format!("{}/{}", u.target, u.login),
                    result
                )?;
            }
            for secret in &report.busy {
                writeln!(
                    out,
                    "{:<width$}  {:<11}  a run is in progress; attested once it ends",
                    secret.to_string(),
                    "busy"
                )?;
            }
            for (target, error) in &report.discovery_errors {
                writeln!(
                    out,
                    "{:<width$}  {:<11}  {error}",
                    format!("{target}/*"),
                    "unavailable"
                )?;
            }
            Ok(())
        }
    }
}

fn outcome_code(address: &SecretAddress, outcome: &Outcome) -> ExitCode {
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
        other => {
            fail(format!("{address}: {other:?}"));
            ExitCode::ActionFailed
        }
    }
}

/// Runs the parsed command; returns the process exit code.
pub async fn execute(cli: Cli, shutdown: impl std::future::Future<Output = ()>) -> ExitCode {
    match run(cli, shutdown).await {
        Ok(code) | Err(code) => code,
    }
}

async fn run(
    cli: Cli,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<ExitCode, ExitCode> {
    match cli.command {
        Command::CheckConfig => {
            let config = load(&cli.config)?;
            println!(
                "{}: OK ({} files, {} providers, {} targets, {} records, {} owners, {} workloads)",
                cli.config.display(),
                config.files.len(),
                config.providers.len(),
                config.targets.len(),
                config.governance.records.len(),
                config.governance.owners.len(),
                config.governance.workloads.len()
            );
            Ok(ExitCode::Ok)
        }
        Command::Plan { format } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, plan(&app, format).await).await
        }
        Command::Run { once } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, run_service(&app, once, shutdown).await).await
        }
        Command::Attest { addresses, format } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, attest(&app, &addresses, format).await).await
        }
        Command::Rotate { address } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, act(&app, &address, RunKind::Rotate).await).await
        }
        Command::Revoke { address } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, act(&app, &address, RunKind::Revoke).await).await
        }
        Command::Audit {
            command: AuditCommand::Verify { pubkeys, trail },
        } => audit::verify(&cli.config, &pubkeys, trail.as_deref()),
        Command::Audit {
            command: AuditCommand::Pubkey,
        } => audit::pubkey(&cli.config),
        Command::Local { provider, command } => {
            local(&cli.config, provider.as_deref(), command).await
        }
    }
}

/// Ends a command that opened the app: its background tasks are drained
/// (queued notifications delivered) before the process exits.
async fn finish(app: &App, code: Result<ExitCode, ExitCode>) -> Result<ExitCode, ExitCode> {
    app.shutdown().await;
    code
}

async fn plan(app: &App, format: PlanFormat) -> Result<ExitCode, ExitCode> {
    let plan = app.plan(chrono::Utc::now()).await.map_err(|e| {
        fail(e);
        ExitCode::Runtime
    })?;
    print_plan(&plan.entries(&app.config()), format).map_err(|e| {
        fail(e);
        ExitCode::Runtime
    })?;
    Ok(ExitCode::Ok)
}

async fn run_service(
    app: &App,
    once: bool,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<ExitCode, ExitCode> {
    if once {
        let report = service::pass_once(app).await.map_err(|e| {
            fail(e);
            ExitCode::Runtime
        })?;
        Ok(if report.clean() {
            ExitCode::Ok
        } else {
            ExitCode::ActionFailed
        })
    } else {
        service::run(app, shutdown).await.map_err(|e| {
            fail(e);
            ExitCode::Runtime
        })?;
        Ok(ExitCode::Ok)
    }
}

async fn attest(
    app: &App,
    addresses: &[SecretAddress],
    format: PlanFormat,
) -> Result<ExitCode, ExitCode> {
    let only = (!addresses.is_empty()).then_some(addresses);
    let report = app.attest_now(only).await.map_err(reconcile_error)?;
    print_attestations(&report, format).map_err(|e| {
        fail(e);
        ExitCode::Runtime
    })?;
    Ok(if report.found_anything() {
        ExitCode::ActionFailed
    } else {
        ExitCode::Ok
    })
}

async fn act(app: &App, address: &SecretAddress, kind: RunKind) -> Result<ExitCode, ExitCode> {
    let outcome = app.act_now(address, kind).await.map_err(reconcile_error)?;
    Ok(outcome_code(address, &outcome))
}

async fn local(
    path: &std::path::Path,
    name: Option<&str>,
    command: LocalCommand,
) -> Result<ExitCode, ExitCode> {
    let config = load(path)?;
    let locals: Vec<&String> = config
        .providers
        .iter()
        .filter(|(_, p)| p.type_name() == "local")
        .map(|(n, _)| n)
        .collect();
    let name = match (name, locals.as_slice()) {
        (Some(name), _) if locals.iter().any(|l| *l == name) => name.to_owned(),
        (Some(name), _) => {
            fail(format!(
                "{name} is not a local provider in {}",
                path.display()
            ));
            return Err(ExitCode::Config);
        }
        (None, [only]) => (*only).clone(),
        (None, []) => {
            fail(format!("{} configures no local provider", path.display()));
            return Err(ExitCode::Config);
        }
        (None, _) => {
            fail("several local providers are configured; pick one with --provider");
            return Err(ExitCode::Config);
        }
    };
    let plugins = Plugins::build(&config).map_err(|e| {
        fail(e);
        ExitCode::Runtime
    })?;
    let provider = plugins.provider(&name).ok_or(ExitCode::Config)?;
    let runtime = |e: tenure_plugin_api::PluginError| {
        let code = if e.kind() == ErrorKind::NotFound {
            ExitCode::NotFound
        } else {
            ExitCode::Runtime
        };
        fail(e);
        code
    };
    match command {
        LocalCommand::List => {
            let mut paths: Vec<String> = provider
                .list()
                .await
                .map_err(runtime)?
                .into_iter()
                .map(|m| m.path)
                .collect();
            paths.sort();
            let mut out = std::io::stdout().lock();
            for p in paths {
                let _ = writeln!(out, "{p}");
            }
            Ok(ExitCode::Ok)
        }
        LocalCommand::Get { path } => {
            let value = provider
                .read(&path, Stage::Current)
                .await
                .map_err(runtime)?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", value.expose());
            Ok(ExitCode::Ok)
        }
        LocalCommand::Put {
            path,
            owner,
            workload,
        } => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                fail(format!("cannot read the value from stdin: {e}"));
                ExitCode::Runtime
            })?;
            if text.ends_with('\n') {
                text.pop();
            }
            let value = SecretValue::new(text);
            if value.is_empty() {
                fail("the value read from stdin is empty");
                return Err(ExitCode::Config);
            }
            let mut tags = std::collections::BTreeMap::new();
            if let Some(owner) = owner {
                tags.insert("owner".to_owned(), owner);
            }
            if let Some(workload) = workload {
                tags.insert("workload".to_owned(), workload);
            }
            let version = provider
                .put_current(&path, &value, &tags)
                .await
                .map_err(runtime)?;
            println!("{name}:{path}: stored version {version}.");
            Ok(ExitCode::Ok)
        }
    }
}
