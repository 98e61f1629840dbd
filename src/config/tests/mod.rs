//! Config loading tests, one file per section they test; error messages
//! are checked word for word. This file: the helpers they share.

mod attest;
mod load;
mod providers;
mod records;
mod server;

use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, text).expect("write");
    path
}

fn errors(path: &Path) -> Vec<String> {
    match load(path) {
        Ok(_) => panic!("expected errors"),
        Err(err) => err.lines(),
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
