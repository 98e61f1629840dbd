//! Runs the program once: request in, response out, with a timeout.
//!
//! stdin is written while stdout and stderr are read, all three at once, and
//! both outputs are drained to the end whatever their size (only the first
//! bytes are kept), so a program that writes much before or instead of
//! reading cannot block on a full pipe. Everything the program says that
//! Tenure passes on (its error message, its proof, its stderr) goes through
//! the exchange's [`Redactor`] first.

use std::process::{ExitStatus, Stdio};

use tenure_plugin_api::PluginError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

use crate::config::ExecConfig;
use crate::protocol::{PROTOCOL_VERSION, Request, Response, read_response};
use crate::redact::Redactor;

/// Largest stdout accepted.
const MAX_STDOUT: usize = 1 << 20;
/// Stderr kept for its first line.
const MAX_STDERR: usize = 4096;
/// Environment passed through from Tenure's own.
const PASSED_ENV: [&str; 3] = ["PATH", "LANG", "TZ"];

/// What the program wrote and how it ended.
struct Exchange {
    stdout: Zeroizing<Vec<u8>>,
    stdout_len: usize,
    stderr: Zeroizing<Vec<u8>>,
    stderr_len: usize,
    status: ExitStatus,
}

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
    let mut redactor = Redactor::new(request.values());
    let exchange = match tokio::time::timeout(config.timeout, exchange(config, request)).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(PluginError::retryable(format!(
                "{program} {operation} timed out after {}",
                humantime::format_duration(config.timeout)
            )));
        }
    };
    let response = read_response(&exchange.stdout, &mut redactor);
    log_stderr(target, operation, &exchange, &redactor);
    let status = exchange.status;
    if exchange.stdout_len > MAX_STDOUT {
        return Err(PluginError::permanent(format!(
            "{program} {operation}: stdout is larger than {MAX_STDOUT} bytes"
        )));
    }
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

/// Starts the program, writes the request and reads both outputs, at once.
async fn exchange(config: &ExecConfig, request: &Request<'_>) -> Result<Exchange, PluginError> {
    let program = config
        .command
        .first()
        .ok_or_else(|| PluginError::permanent("exec target has no command"))?;
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
    let write = async move {
        // A program that exits without reading its input is reported by
        // its exit status, not by the broken pipe.
        let _ = stdin.write_all(&body).await;
        drop(stdin);
    };
    // Sized for any ordinary response, so the buffer holding a new
    // credential is rarely moved (a move leaves an unzeroed copy).
    let mut out = Zeroizing::new(Vec::with_capacity(64 * 1024));
    let mut err = Zeroizing::new(Vec::new());
    let ((), read_out, read_err, status) = tokio::join!(
        write,
        read_capped(&mut stdout, MAX_STDOUT, &mut out),
        read_capped(&mut stderr, MAX_STDERR, &mut err),
        child.wait()
    );
    let stdout_len = read_out
        .map_err(|e| PluginError::retryable(format!("reading stdout of {program}: {e}")))?;
    // Unreadable stderr loses a diagnostic, not the operation.
    let stderr_len = read_err.unwrap_or(0);
    let status =
        status.map_err(|e| PluginError::retryable(format!("waiting for {program}: {e}")))?;
    Ok(Exchange {
        stdout: out,
        stdout_len,
        stderr: err,
        stderr_len,
        status,
    })
}

/// Reads `reader` to its end, keeping the first `cap` bytes in `kept`;
/// returns how many bytes there were.
async fn read_capped<R: AsyncRead + Unpin>(
    reader: &mut R,
    cap: usize,
    kept: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut chunk = Zeroizing::new([0u8; 8192]);
    let mut total = 0usize;
    loop {
        let read = reader.read(&mut chunk[..]).await?;
        if read == 0 {
            return Ok(total);
        }
        let room = cap.saturating_sub(kept.len()).min(read);
        kept.extend_from_slice(&chunk[..room]);
        total = total.saturating_add(read);
    }
}

/// One debug line per operation that wrote to stderr: its length and its
/// first line, filtered.
fn log_stderr(target: &str, operation: &str, exchange: &Exchange, redactor: &Redactor) {
    if exchange.stderr_len == 0 {
        return;
    }
    let text = String::from_utf8_lossy(&exchange.stderr);
    let first_line = redactor.filter(text.lines().next().unwrap_or(""));
    tracing::debug!(
        target_name = %target,
        operation,
        stderr_bytes = exchange.stderr_len,
        first_line = %first_line,
        "The exec target wrote to stderr."
    );
}
