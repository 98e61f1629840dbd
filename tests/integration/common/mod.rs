//! Shared helpers for black-box tests: a private copy of the demo config per
//! test, a runner for the real `tenure` binary, and the small things many
//! tests need (a deadline to poll against, a child fed on stdin, an AWS SDK
//! config for moto).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub mod drift;
pub mod example;
pub mod proxy;
pub mod receiver;
pub mod service;
pub mod sql;

/// A private copy of `config/` in a temp folder; state goes beside it.
pub struct Demo {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

impl Demo {
    /// A fresh copy of the demo config.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        copy_dir(&root.join("config"), &dir.path().join("config"));
        // Canonical, so paths the binary prints match the ones tests build.
        let root = dir.path().canonicalize().expect("canonical");
        let config = root.join("config/tenure.toml");
        Self { dir, config }
    }

    /// Edits the main config file.
    pub fn edit(&self, from: &str, to: &str) {
        edit_file(&self.config, from, to);
    }

    /// Edits the governance records file.
    pub fn edit_records(&self, from: &str, to: &str) {
        edit_file(
            &self.config.with_file_name("governance/records.toml"),
            from,
            to,
        );
    }

    /// The state folder.
    pub fn state(&self) -> PathBuf {
        let config_dir = self.config.parent().expect("config dir");
        config_dir.parent().expect("root").join(".tenure")
    }

    /// The audit trail.
    pub fn audit(&self) -> PathBuf {
        self.state().join("audit.jsonl")
    }

    /// A `tenure` command with this config and a quiet environment.
    pub fn command(&self, args: &[&str]) -> Command {
        tenure(&self.config, args)
    }

    /// Runs `tenure` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tenure")
    }

    /// Runs `tenure args`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Output {
        succeeded(args, self.run(args))
    }

    /// Appends `text` to the main config file.
    pub fn append(&self, text: &str) {
        let config = std::fs::read_to_string(&self.config).expect("read");
        std::fs::write(&self.config, config + text).expect("write");
    }

    /// The current value of a local secret, via `tenure local get`.
    pub fn get(&self, path: &str) -> String {
        let out = self.run(&["local", "get", path]);
        assert!(out.status.success(), "get {path}: {}", stderr(&out));
        stdout(&out).trim_end_matches('\n').to_owned()
    }
}

/// Replaces `from`, which must be there, by `to` in the file at `path`.
pub fn edit_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

/// Uncomments, in the config file at `path`, the `# ` lines of the block
/// that starts at the line `start` and ends at the first blank line, those
/// whose text starts with one of `keys` (every one when `keys` is empty);
/// returns how many it uncommented.
pub fn uncomment_block(path: &Path, start: &str, keys: &[&str]) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    let mut uncommented = 0;
    let mut in_block = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if line == start {
                in_block = true;
            } else if line.trim().is_empty() {
                in_block = false;
            }
            match line.strip_prefix("# ") {
                Some(rest)
                    if in_block
                        && (keys.is_empty() || keys.iter().any(|k| rest.starts_with(k))) =>
                {
                    uncommented += 1;
                    rest.to_owned()
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").expect("write");
    uncommented
}

/// A `tenure -c <config> args` command with a quiet environment (no log
/// level, no fault point) and nothing on stdin.
pub fn tenure(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tenure"));
    command
        .arg("-c")
        .arg(config)
        .args(args)
        .env_remove("TENURE_LOG")
        .env_remove("TENURE_FAULT_PAUSE_AT")
        .stdin(Stdio::null());
    command
}

/// `out`, the output of `tenure args`, which must have succeeded.
pub fn succeeded(args: &[&str], out: Output) -> Output {
    assert!(
        out.status.success(),
        "tenure {args:?} failed:\n{}",
        stderr(&out)
    );
    out
}

/// Runs `command` (a `tenure` one) at TRACE level; it must succeed.
pub fn traced(mut command: Command) -> Output {
    let out = command
        .env("TENURE_LOG", "trace")
        .output()
        .expect("run tenure");
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `command` with `input` on its stdin, to completion.
pub fn with_stdin(mut command: Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

/// When a polling loop gives up, and how long it sleeps between checks.
pub struct Deadline {
    at: Instant,
    every: Duration,
}

impl Deadline {
    /// `within` from now, checking every `every`.
    pub fn after(within: Duration, every: Duration) -> Self {
        Self {
            at: Instant::now() + within,
            every,
        }
    }

    /// Fails with `why()` once the deadline has passed; else sleeps one interval.
    pub async fn wait(&self, why: impl FnOnce() -> String) {
        assert!(Instant::now() < self.at, "{}", why());
        tokio::time::sleep(self.every).await;
    }
}

/// An AWS SDK config for the endpoint of a moto server, with static credentials.
pub fn aws_sdk(endpoint: &str, key_id: &str, secret: &str) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            key_id, secret, None, None, "tests",
        )))
        .build()
}

/// The version of the Secrets Manager secret `name` labelled `stage`;
/// `None` when the read fails (no version has that label).
pub async fn aws_version_at(
    client: &aws_sdk_secretsmanager::Client,
    name: &str,
    stage: &str,
) -> Option<aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput> {
    client
        .get_secret_value()
        .secret_id(name)
        .version_stage(stage)
        .send()
        .await
        .ok()
}

/// Spawns `command` (its stdout discarded) and a thread that passes on
/// each line of its stderr, reading to the end whether or not they are
/// received.
pub fn spawn_reading_stderr(mut command: Command) -> (Child, Receiver<String>) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Runs `command` with `TENURE_FAULT_PAUSE_AT=point`, waits until it says it
/// paused there, and kills it with SIGKILL.
pub fn kill_at(mut command: Command, point: &str) {
    command.env("TENURE_FAULT_PAUSE_AT", point);
    let (mut child, lines) = spawn_reading_stderr(command);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.starts_with("Paused at") => break,
            Ok(line) => seen.push(line),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "{point}: the process ended without pausing:\n{}",
                seen.join("\n")
            ),
            Err(RecvTimeoutError::Timeout) => panic!("{point}: no pause within 30 s"),
        }
    }
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert!(!status.success());
}
