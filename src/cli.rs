//! The command line: parsing (clap) and the commands, each returning an
//! [`ExitCode`]. The commands that act open the app with `crate::app::open`
//! and drain its background tasks before returning.
//!
//! Exit codes: 0 success; 1 an action did not succeed, a check found drift
//! or could not be made (a provider or target could not be read), or
//! `plan --fail-on` found a listed decision;
//! 2 invalid configuration or usage; 3 the audit trail failed
//! verification; 4 the secret or path was not found; 5 a runtime failure
//! (state store, audit trail I/O).
//!
//! ```text
//! approve tenure approvals / approve
//! audit   tenure audit verify / pubkey / checkpoints
//! replicas tenure audit verify of several replicas' trails together
//! evidence tenure evidence <address> / evidence verify
//! exit    the exit codes
//! local   tenure local list / get / put
//! compliance  tenure report (control reports for a framework)
//! output  what plan and attest print
//! plan    tenure plan, and its --fail-on gate
//! report  how a command ends: its message and exit code
//! ```

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use tenure_plugin_api::SecretAddress;

use crate::app::{self, App};
use crate::config::{self, Config};
use crate::server::auth::Actor;
use crate::service;
use crate::state::RunKind;
use crate::telemetry::LogFormat;

mod approve;
mod audit;
mod compliance;
mod evidence;
mod exit;
mod local;
mod output;
mod plan;
mod replicas;
mod report;
mod review;

pub use audit::AuditCommand;
pub use compliance::ReportArgs;
pub use exit::ExitCode;
pub use plan::FailOn;
use report::{fail, outcome_code, reconcile_error, runtime};

/// Tenure keeps every secret exactly as long as its governance allows.
#[derive(Debug, Parser)]
#[command(
    name = "tenure",
    version,
    about,
    after_help = "Exit codes: 0 success, 1 an action did not succeed, a check found drift or could not be made, or plan --fail-on found a listed decision, 2 invalid configuration or usage, 3 audit trail failed verification, 4 not found, 5 runtime failure."
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
        /// Exit 1 when any line's decision is one of these (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',', value_name = "DECISIONS")]
        fail_on: Vec<FailOn>,
    },
    /// A control report for a compliance framework (population, findings,
    /// exceptions, time to revoke, rotations on time).
    Report(ReportArgs),
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
        /// Who acts, as the audit trail records it (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Revoke one secret now, through the revocation workflow.
    Revoke {
        /// The secret's address, <provider>:<path>.
        address: SecretAddress,
        /// Who acts, as the audit trail records it (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
    /// List the four-eyes approval requests, newest first.
    Approvals {
        /// Only those with this status (pending, approved, rejected,
        /// expired, stale, used).
        #[arg(long)]
        status: Option<String>,
    },
    /// Approve a pending request (or reject it with --reject); an approved
    /// action is carried out at once. The requester cannot decide their own.
    Approve {
        /// The request's id (`tenure approvals` lists them).
        id: String,
        /// Reject instead of approving.
        #[arg(long)]
        reject: bool,
        /// Who decides, as the audit trail records it (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Audit trail commands.
    Audit {
        /// What to do with the trail.
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// One secret's evidence (record, lineage, its audit entries, the
    /// chain's verification) as JSON or one HTML page; or `verify FILE`.
    Evidence(evidence::EvidenceArgs),
    /// Access reviews.
    Review {
        /// What to do.
        #[command(subcommand)]
        command: ReviewCommand,
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

/// `tenure review ...`
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Import completed reviews from a CSV file (header row: record,
    /// reviewer, decision, and optionally scopes (`;`-separated),
    /// next_review, reviewed_at, ticket). One bad row refuses the file;
    /// importing a file again changes nothing.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Who imports, as the reviews and the audit trail record it
        /// (default: cli:<OS user>).
        #[arg(long)]
        actor: Option<String>,
    },
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
        Command::Plan { format, fail_on } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, plan::plan(&app, format, &fail_on).await).await
        }
        Command::Report(args) => {
            let framework = compliance::framework(&args)?;
            let app = open(load(&cli.config)?).await?;
            finish(&app, compliance::report(&app, &args, &framework).await).await
        }
        Command::Run { once } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, run_service(&app, once, shutdown).await).await
        }
        Command::Attest { addresses, format } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, attest(&app, &addresses, format).await).await
        }
        Command::Rotate { address, actor } => {
            let app = open(load(&cli.config)?).await?;
            let actor = Actor::cli(actor);
            finish(&app, act(&app, &address, RunKind::Rotate, &actor).await).await
        }
        Command::Revoke { address, actor } => {
            let app = open(load(&cli.config)?).await?;
            let actor = Actor::cli(actor);
            finish(&app, act(&app, &address, RunKind::Revoke, &actor).await).await
        }
        Command::Approvals { status } => {
            let app = open(load(&cli.config)?).await?;
            finish(&app, approve::list(&app, status.as_deref()).await).await
        }
        Command::Approve { id, reject, actor } => {
            let app = open(load(&cli.config)?).await?;
            let actor = Actor::cli(actor);
            finish(&app, approve::decide(&app, &id, &actor, !reject).await).await
        }
        Command::Audit { command } => audit::run(&cli.config, command).await,
        Command::Evidence(args) => match evidence::verify_request(&args) {
            Some((file, pubkeys)) => evidence::verify(file, pubkeys),
            None => {
                let app = open(load(&cli.config)?).await?;
                finish(&app, evidence::generate(&app, &args).await).await
            }
        },
        Command::Review {
            command: ReviewCommand::Import { file, actor },
        } => {
            let app = open(load(&cli.config)?).await?;
            let actor = Actor::cli(actor);
            finish(&app, review::import(&app, &file, &actor).await).await
        }
        Command::Local { provider, command } => {
            local::local(&cli.config, provider.as_deref(), command).await
        }
    }
}

/// Ends a command that opened the app: its background tasks are drained
/// (queued notifications delivered) before the process exits.
async fn finish(app: &App, code: Result<ExitCode, ExitCode>) -> Result<ExitCode, ExitCode> {
    app.shutdown().await;
    code
}

async fn run_service(
    app: &App,
    once: bool,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<ExitCode, ExitCode> {
    if once {
        let report = service::pass_once(app).await.map_err(runtime)?;
        Ok(if report.clean() {
            ExitCode::Ok
        } else {
            ExitCode::ActionFailed
        })
    } else {
        service::run(app, shutdown).await.map_err(runtime)?;
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
    output::print_attestations(&report, format).map_err(runtime)?;
    Ok(if report.found_anything() {
        ExitCode::ActionFailed
    } else {
        ExitCode::Ok
    })
}

async fn act(
    app: &App,
    address: &SecretAddress,
    kind: RunKind,
    actor: &Actor,
) -> Result<ExitCode, ExitCode> {
    let outcome = app
        .act_now(address, kind, actor)
        .await
        .map_err(reconcile_error)?;
    Ok(outcome_code(address, &outcome))
}
