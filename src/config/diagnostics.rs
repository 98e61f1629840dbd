//! Config error reporting: every problem names the file, line:column and key path.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One config file's text, with what is needed to turn byte offsets into line:column.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as it was derived from an include), for messages.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, column)
    }

    /// A diagnostic at `span` for `key`.
    pub fn diagnostic(
        &self,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = self.position(span.map_or(0, |s| s.start));
        Diagnostic {
            file: self.path.clone(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }
}

/// One config problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The key path, e.g. `records[2].max_age` (empty for a syntax error).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The files were read, and have these problems (all of them, in file order).
    #[error("{}", Diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

struct Diagnostics<'a>(&'a [Diagnostic]);

impl fmt::Display for Diagnostics<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            diagnostic.fmt(f)?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The diagnostics, one per problem (a read error counts as one).
    pub fn lines(&self) -> Vec<String> {
        match self {
            Self::Read { .. } => vec![self.to_string()],
            Self::Invalid(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Joins a key path and a relative path from serde (`.` meaning "this value").
pub fn join_key(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path) {
        (_, "." | "") => prefix.to_owned(),
        (true, _) => path.to_owned(),
        (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
        (false, p) => format!("{prefix}.{p}"),
    }
}

/// The folder of a file path ("." for a bare file name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Joins `path` onto `base` and removes `.` and `..` segments lexically, so
/// messages show `state/audit.jsonl`, not `config/../state/audit.jsonl`.
pub use tenure_plugin_api::resolve_path as resolve;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let src = SourceFile::new("f.toml", "a = 1\nbé = \"x\"\n".into());
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(4), (1, 5));
        assert_eq!(src.position(6), (2, 1));
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(src.position(12), (2, 6));
    }

    #[test]
    fn paths_resolve_lexically() {
        assert_eq!(
            resolve(Path::new("config"), Path::new("../.tenure/a")),
            PathBuf::from(".tenure/a")
        );
        assert_eq!(
            resolve(Path::new("/etc/t"), Path::new("../x")),
            PathBuf::from("/etc/x")
        );
        assert_eq!(
            resolve(Path::new("."), Path::new("../x")),
            PathBuf::from("../x")
        );
        assert_eq!(
            resolve(Path::new("a"), Path::new("/abs")),
            PathBuf::from("/abs")
        );
    }

    #[test]
    fn key_paths_join() {
        assert_eq!(join_key("records[1]", "."), "records[1]");
        assert_eq!(
            join_key("records[1]", "approval.at"),
            "records[1].approval.at"
        );
        assert_eq!(join_key("records[1]", "[2]"), "records[1][2]");
        assert_eq!(join_key("", "tenure"), "tenure");
    }
}
