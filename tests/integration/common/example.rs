//! One of `config/examples/*.toml`, run end to end: a private copy in a
//! temp folder (its state and local vault moved inside it), and the binary
//! run on it with the environment the example's servers need.

use std::path::PathBuf;
use std::process::{Command, Output};

use super::{succeeded, tenure};

/// A private copy of an example config, and the binary run on it.
pub struct Example {
    _dir: tempfile::TempDir,
    /// The (canonical) folder the copy is in.
    pub root: PathBuf,
    /// The copy.
    pub config: PathBuf,
    env: Vec<(String, String)>,
}

impl Example {
    /// `config/examples/<name>.toml` with its state folder
    /// (`../../.tenure-<name>`) and local vault moved into the temp folder,
    /// then changed by `edit` (which gets the text and that folder).
    pub fn new(name: &str, edit: impl FnOnce(String, &std::path::Path) -> String) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let state = format!("\"../../.tenure-{name}\"");
        let vault = format!("\"../../.tenure-{name}/vault.tvault\"");
        let text = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("config/examples/{name}.toml")),
        )
        .expect("example")
        .replace(&state, &format!("{:?}", root.join("state")))
        .replace(&vault, &format!("{:?}", root.join("vault.tvault")));
        let config = root.join("tenure.toml");
        std::fs::write(&config, edit(text, &root)).expect("config");
        Self {
            _dir: dir,
            root,
            config,
            env: Vec::new(),
        }
    }

    /// Runs the binary with `key=value` in its environment too.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A `tenure args` command on the copy, with the example's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = tenure(&self.config, args);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs `tenure args` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tenure")
    }

    /// Runs `tenure args`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Output {
        succeeded(args, self.run(args))
    }

    /// The audit trail, as text.
    pub fn audit(&self) -> String {
        std::fs::read_to_string(self.root.join("state/audit.jsonl")).expect("trail")
    }
}
