//! The `tenure` binary: parse the command line, set up logging, hand off to the library.

use std::process::ExitCode;

use clap::Parser;
use tenure::cli::{Cli, execute};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tenure::telemetry::init(cli.log_format, cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tenure: cannot start the async runtime: {err}");
            return tenure::cli::ExitCode::Runtime.into();
        }
    };
    runtime.block_on(execute(cli, shutdown_signal())).into()
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
