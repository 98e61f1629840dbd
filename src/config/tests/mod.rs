//! Config loading tests, one file per section they test; error messages
//! are checked word for word. This file: the helpers they share.

mod approvals;
mod attest;
mod load;
mod providers;
mod records;
mod server;

use std::path::PathBuf;

use super::*;

/// A config folder in a temp dir; `tenure.toml` is its main file.
struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    /// A folder holding `files`, each a path in the folder and its text.
    fn with(files: &[(&str, &str)]) -> Self {
        let folder = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        for (name, text) in files {
            folder.write(name, text);
        }
        folder
    }

    /// A folder whose main file is `text`.
    fn main_only(text: &str) -> Self {
        Self::with(&[("tenure.toml", text)])
    }

    /// The path of `name` in the folder.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The main file.
    fn main(&self) -> PathBuf {
        self.path("tenure.toml")
    }

    /// Writes (or replaces) `name`, making its folders.
    fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write");
    }

    /// The main file as it is now.
    fn main_text(&self) -> String {
        std::fs::read_to_string(self.main()).expect("read")
    }

    /// The main file loaded; it must load.
    fn load(&self) -> Config {
        load(&self.main()).expect("config")
    }

    /// The main file's errors, one per line; it must fail to load.
    fn errors(&self) -> Vec<String> {
        match load(&self.main()) {
            Ok(_) => panic!("expected errors"),
            Err(err) => err.lines(),
        }
    }

    /// `lines` with `{dir}` in them standing for the folder's path.
    fn expected(&self, lines: &[&str]) -> Vec<String> {
        let dir = self.dir.path().display().to_string();
        lines.iter().map(|l| l.replace("{dir}", &dir)).collect()
    }

    /// Asserts that loading the main file reports exactly `expected`, in
    /// order; `{dir}` in them stands for the folder's path.
    fn assert_errors(&self, expected: &[&str]) {
        let expected = self.expected(expected);
        let got = self.errors();
        assert_eq!(got, expected, "\ngot:\n{}", got.join("\n"));
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
