//! Reads the main config file and the governance files it includes.

use std::path::{Path, PathBuf};

use super::Config;
use super::build::build;
use super::diagnostics::{ConfigError, SourceFile, folder_of};
use super::document::{FileKind, Parts, read_file};

fn read(path: &Path) -> Result<SourceFile, ConfigError> {
    std::fs::read_to_string(path)
        .map(|text| SourceFile::new(path, text))
        .map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// Loads and checks the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let base = folder_of(path);
    let mut files = vec![read(path)?];
    let mut parts = Parts::default();
    let mut diagnostics = Vec::new();
    read_file(&files[0], 0, FileKind::Main, &mut parts, &mut diagnostics);

    let includes = parts.includes.clone();
    for (i, pattern) in includes.iter().enumerate() {
        let key = format!("tenure.include[{i}]");
        let full = base.join(pattern.get_ref());
        let matches: Result<Vec<PathBuf>, String> = match glob::glob(&full.to_string_lossy()) {
            Ok(paths) => paths
                .map(|p| p.map_err(|e| e.to_string()))
                .collect::<Result<_, _>>(),
            Err(e) => Err(format!("invalid glob {:?}: {}", pattern.get_ref(), e.msg)),
        };
        match matches {
            Ok(mut paths) => {
                paths.sort();
                let literal = !pattern.get_ref().contains(['*', '?', '[']);
                if paths.is_empty() && literal {
                    diagnostics.push(files[0].diagnostic(
                        Some(pattern.span()),
                        key,
                        format!("{} does not exist", full.display()),
                    ));
                }
                for path in paths {
                    if files.iter().any(|f| f.path == path) {
                        continue;
                    }
                    let index = files.len();
                    files.push(read(&path)?);
                    read_file(
                        &files[index],
                        index,
                        FileKind::Governance,
                        &mut parts,
                        &mut diagnostics,
                    );
                }
            }
            Err(message) => {
                diagnostics.push(files[0].diagnostic(Some(pattern.span()), key, message));
            }
        }
    }

    let config = build(&files, parts, &base, &mut diagnostics);
    match config {
        Some(config) if diagnostics.is_empty() => Ok(config),
        _ => {
            // Report in file order, then position, so output is stable.
            let order: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
            diagnostics.sort_by_key(|d| {
                (
                    order
                        .iter()
                        .position(|p| *p == d.file)
                        .unwrap_or(usize::MAX),
                    d.line,
                    d.column,
                )
            });
            Err(ConfigError::Invalid(diagnostics))
        }
    }
}
