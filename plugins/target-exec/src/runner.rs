//! Runs the program once: request in, response out, with a timeout.

use std::process::Stdio;

use tenure_plugin_api::PluginError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

use crate::config::ExecConfig;
use crate::protocol::{PROTOCOL_VERSION, Request, Response};

/// Largest stdout accepted.
const MAX_STDOUT: u64 = 1 << 20;
/// Stderr kept for the debug log.
const MAX_STDERR: usize = 4096;
/// Environment passed through from Tenure's own.
const PASSED_ENV: [&str; 3] = ["PATH", "LANG", "TZ"];

/// Runs one operation.
pub async fn run(
    config: &ExecConfig,
    target: &str,
    request: &Request<'_>,
) -> Result<Response, PluginError> {
    let program = config
        .command
        .first()
        .ok_or_else(|| PluginError::permanent("exec target has no command"))?;
    let operation = request.operation;
    let body = Zeroizing::new(
        serde_json::to_vec(request)
            .map_err(|e| PluginError::permanent(format!("cannot encode the request: {e}")))?,
    );
    let mut command = tokio::process::Command::new(program);
    command
        .args(&config.command[1..])
        .env_clear()
        .envs(
            PASSED_ENV
                .iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v))),
        )
        .envs(&config.env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &config.working_dir {
        command.current_dir(dir);
    }
    let mut child = command
        .spawn()
        .map_err(|e| PluginError::permanent(format!("cannot start {program}: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| PluginError::retryable("no stdin"))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| PluginError::retryable("no stdout"))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| PluginError::retryable("no stderr"))?;

    let exchange = async {
        // A program that exits without reading its input is reported by its exit status.
        let _ = stdin.write_all(&body).await;
        drop(stdin);
        let mut out = Zeroizing::new(Vec::new());
        let mut err = Vec::new();
        let mut limited_out = (&mut stdout).take(MAX_STDOUT);
        let mut limited_err = (&mut stderr).take(MAX_STDERR as u64 * 4);
        let (read_out, _, status) = tokio::join!(
            limited_out.read_to_end(&mut out),
            limited_err.read_to_end(&mut err),
            child.wait()
        );
        read_out
            .map_err(|e| PluginError::retryable(format!("reading stdout of {program}: {e}")))?;
        let status =
            status.map_err(|e| PluginError::retryable(format!("waiting for {program}: {e}")))?;
        Ok::<_, PluginError>((out, err, status))
    };
    let (out, err, status) = match tokio::time::timeout(config.timeout, exchange).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(PluginError::retryable(format!(
                "{program} {operation} timed out after {}",
                humantime::format_duration(config.timeout)
            )));
        }
    };
    if !err.is_empty() {
        let shown = String::from_utf8_lossy(&err[..err.len().min(MAX_STDERR)]).into_owned();
        tracing::debug!(target_name = %target, operation, stderr = %shown, "The exec target wrote to stderr.");
    }
    let response: Option<Response> = serde_json::from_slice(&out).ok();
    match (status.success(), response) {
        (_, Some(response)) if response.protocol != PROTOCOL_VERSION => {
            Err(PluginError::permanent(format!(
                "{program} {operation}: speaks protocol {}, expected {PROTOCOL_VERSION}",
                response.protocol
            )))
        }
        (
            _,
            Some(Response {
                ok: false,
                error: Some(error),
                ..
            }),
        ) => Err(error.into_plugin_error(program, operation)),
        (true, Some(response)) if response.ok => Ok(response),
        (true, Some(_)) => Err(PluginError::permanent(format!(
            "{program} {operation}: ok is false without an error"
        ))),
        (true, None) => Err(PluginError::permanent(format!(
            "{program} {operation}: stdout is not a protocol {PROTOCOL_VERSION} response"
        ))),
        (false, _) => Err(PluginError::retryable(format!(
            "{program} {operation}: exited with {status}"
        ))),
    }
}
