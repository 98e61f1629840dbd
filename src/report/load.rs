//! Finding a framework by name: the user's folder first (`--frameworks DIR`,
//! one `<name>.toml` per framework), then the built-in ones compiled from
//! `config/frameworks/`.

use std::path::{Path, PathBuf};

use super::ReportError;
use super::framework::{Framework, parse};
use crate::config::SourceFile;

/// The built-in frameworks: name and TOML text.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "cis-aws-foundations",
        include_str!("../../config/frameworks/cis-aws-foundations.toml"),
    ),
    (
        "nist-800-53",
        include_str!("../../config/frameworks/nist-800-53.toml"),
    ),
    (
        "pci-dss-4.0",
        include_str!("../../config/frameworks/pci-dss-4.0.toml"),
    ),
    ("soc2", include_str!("../../config/frameworks/soc2.toml")),
];

/// The frameworks `dir` holds (the stems of its `.toml` files).
fn listed(dir: &Path) -> Result<Vec<(String, PathBuf)>, ReportError> {
    let read = std::fs::read_dir(dir).map_err(|source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in read.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            found.push((stem.to_owned(), path));
        }
    }
    found.sort();
    Ok(found)
}

/// Every framework name known: the user's and the built-in ones.
pub fn known(dir: Option<&Path>) -> Result<Vec<String>, ReportError> {
    let mut names: Vec<String> = BUILT_IN.iter().map(|(n, _)| (*n).to_owned()).collect();
    if let Some(dir) = dir {
        names.extend(listed(dir)?.into_iter().map(|(n, _)| n));
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The framework `name`: from `dir` when it has `<name>.toml`, else built in.
pub fn find(name: &str, dir: Option<&Path>) -> Result<Framework, ReportError> {
    if let Some(dir) = dir
        && let Some((_, path)) = listed(dir)?.into_iter().find(|(n, _)| n == name)
    {
        let text = std::fs::read_to_string(&path).map_err(|source| ReportError::Read {
            path: path.clone(),
            source,
        })?;
        let src = SourceFile::new(&path, text);
        return parse(name, &path.display().to_string(), &src).map_err(ReportError::Invalid);
    }
    match BUILT_IN.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => {
            let path = format!("config/frameworks/{n}.toml");
            let src = SourceFile::new(&path, (*text).to_owned());
            parse(name, "built-in", &src).map_err(ReportError::Invalid)
        }
        None => Err(ReportError::Unknown {
            name: name.to_owned(),
            known: known(dir)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_framework_reads() {
        for (name, _) in BUILT_IN {
            let framework = find(name, None).expect(name);
            assert!(!framework.controls.is_empty(), "{name}");
        }
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = find("iso-27001", None).expect_err("refused").to_string();
        assert!(err.contains("iso-27001"), "{err}");
        assert!(err.contains("pci-dss-4.0, soc2"), "{err}");
    }
}
