//! Reads one config file's text into typed parts, collecting every error.
//!
//! The file is parsed once into a span-carrying tree; each section and each
//! array element is then deserialized on its own, so one bad record does not
//! hide the problems of the next. Pure: no I/O.

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostics::{Diagnostic, SourceFile, join_key};
use super::raw::{
    RawApprovals, RawDefaults, RawNats, RawNotify, RawOwner, RawRecord, RawRetry, RawSchedule,
    RawScim, RawServer, RawTargetSettings, RawTenure, RawWorkload,
};
use crate::plugins::{self, ProviderConfig, TargetConfig};

pub(crate) mod plugin_tables;

use plugin_tables::{read_plugins, read_target_settings};

/// Something read from a file, with where it came from.
#[derive(Debug)]
pub struct Located<T> {
    /// Index of the file in the loader's file list.
    pub file: usize,
    /// The key path of the item (`records[2]`, `providers.local`).
    pub key: String,
    /// The span of the item in its file.
    pub span: Range<usize>,
    /// The item.
    pub value: T,
}

/// Everything read from all files, before cross-checks.
#[derive(Debug, Default)]
pub struct Parts {
    /// `tenure.include`, read on its own so a mistake elsewhere in `[tenure]`
    /// does not hide the problems of the included files.
    pub includes: Vec<Spanned<String>>,
    pub tenure: Option<Located<RawTenure>>,
    pub retry: Option<Located<RawRetry>>,
    pub server: Option<Located<RawServer>>,
    pub scim: Option<Located<RawScim>>,
    pub approvals: Option<Located<RawApprovals>>,
    pub schedule: Option<Located<RawSchedule>>,
    pub nats: Option<Located<RawNats>>,
    pub notify: Option<Located<RawNotify>>,
    pub defaults: Option<Located<RawDefaults>>,
    pub providers: Vec<Located<(String, ProviderConfig)>>,
    pub targets: Vec<Located<(String, TargetConfig)>>,
    /// The keys of each target table that are Tenure's, not its plugin's.
    pub target_settings: Vec<Located<(String, RawTargetSettings)>>,
    pub records: Vec<Located<RawRecord>>,
    pub owners: Vec<Located<RawOwner>>,
    pub workloads: Vec<Located<RawWorkload>>,
}

/// Which sections a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The main config: every section.
    Main,
    /// An included governance file: records, owners and workloads.
    Governance,
}

const MAIN_KEYS: &[&str] = &[
    "tenure",
    "server",
    "scim",
    "approvals",
    "schedule",
    "nats",
    "notify",
    "retry",
    "defaults",
    "providers",
    "targets",
    "records",
    "owners",
    "workloads",
];
const GOVERNANCE_KEYS: &[&str] = &["records", "owners", "workloads"];

fn one_of(keys: &[&str]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
    quoted.join(", ")
}

/// Deserializes one value, reporting an error with its key path and position.
fn read<T: DeserializeOwned>(
    src: &SourceFile,
    key: &str,
    value: Spanned<DeValue<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    let deserializer = ValueDeserializer::from(value);
    match serde_path_to_error::deserialize(deserializer) {
        Ok(value) => Some(value),
        Err(err) => {
            // `Spanned<T>` fields add a private segment to serde's path.
            let relative = err
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "")
                .replace("$__serde_spanned_private_value", ".");
            let path = join_key(key, &relative);
            let inner = err.into_inner();
            diagnostics.push(src.diagnostic(inner.span(), path, inner.message()));
            None
        }
    }
}

fn array_items<'i>(
    src: &SourceFile,
    section: &str,
    value: Spanned<DeValue<'i>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(String, Spanned<DeValue<'i>>)> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| (format!("{section}[{i}]"), item))
            .collect(),
        _ => {
            diagnostics.push(src.diagnostic(
                Some(span),
                section,
                format!("expected an array of tables ([[{section}]])"),
            ));
            Vec::new()
        }
    }
}

fn at<T>(file: usize, key: String, span: Range<usize>, value: T) -> Located<T> {
    Located {
        file,
        key,
        span,
        value,
    }
}

/// One file being read: its text, its index in the loader's list, and
/// where its problems go.
struct Reader<'r> {
    src: &'r SourceFile,
    file: usize,
    diagnostics: &'r mut Vec<Diagnostic>,
}

impl Reader<'_> {
    /// `value`, the item at `key`, located; `None` (and reported) when it
    /// does not fit `T`.
    fn located<T: DeserializeOwned>(
        &mut self,
        key: String,
        value: Spanned<DeValue<'_>>,
    ) -> Option<Located<T>> {
        let span = value.span();
        read(self.src, &key, value, self.diagnostics).map(|v| at(self.file, key, span, v))
    }

    /// Each table of the array section `name` (`[[name]]`), located; a bad
    /// one is reported and left out, the others are kept.
    fn tables<T: DeserializeOwned>(
        &mut self,
        name: &str,
        value: Spanned<DeValue<'_>>,
    ) -> Vec<Located<T>> {
        let items = array_items(self.src, name, value, self.diagnostics);
        items
            .into_iter()
            .filter_map(|(key, item)| self.located(key, item))
            .collect()
    }
}

/// Reads one file into `parts`.
pub fn read_file(
    src: &SourceFile,
    file: usize,
    kind: FileKind,
    parts: &mut Parts,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let root = match DeTable::parse(&src.text) {
        Ok(root) => root,
        Err(err) => {
            diagnostics.push(src.diagnostic(err.span(), "", err.message().trim_end()));
            return;
        }
    };
    let allowed = match kind {
        FileKind::Main => MAIN_KEYS,
        FileKind::Governance => GOVERNANCE_KEYS,
    };
    let mut reader = Reader {
        src,
        file,
        diagnostics,
    };
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        if !allowed.contains(&name.as_str()) {
            reader.diagnostics.push(src.diagnostic(
                Some(key.span()),
                &name,
                format!(
                    "unknown field `{name}`, expected one of {}",
                    one_of(allowed)
                ),
            ));
            continue;
        }
        match name.as_str() {
            "tenure" => {
                if let Some(include) = value.get_ref().as_table().and_then(|t| t.get("include")) {
                    let key = format!("{name}.include");
                    // Errors are reported when the whole section is read below.
                    if let Some(list) = read(src, &key, include.clone(), &mut Vec::new()) {
                        parts.includes = list;
                    }
                }
                parts.tenure = reader.located(name, value);
            }
            "server" => parts.server = reader.located(name, value),
            "scim" => parts.scim = reader.located(name, value),
            "approvals" => parts.approvals = reader.located(name, value),
            "notify" => parts.notify = reader.located(name, value),
            "nats" => parts.nats = reader.located(name, value),
            "schedule" => parts.schedule = reader.located(name, value),
            "retry" => parts.retry = reader.located(name, value),
            "defaults" => parts.defaults = reader.located(name, value),
            "providers" => {
                let types = plugins::provider_types();
                let diagnostics = &mut *reader.diagnostics;
                let found =
                    read_plugins(src, file, "provider", &types, value, diagnostics, |t, r| {
                        plugins::parse_provider(t, r)
                    });
                parts.providers.extend(found);
            }
            "targets" => {
                let mut value = value;
                let diagnostics = &mut *reader.diagnostics;
                let settings = read_target_settings(src, file, &mut value, diagnostics);
                parts.target_settings.extend(settings);
                let types = plugins::target_types();
                let found =
                    read_plugins(src, file, "target", &types, value, diagnostics, |t, r| {
                        plugins::parse_target(t, r)
                    });
                parts.targets.extend(found);
            }
            "records" => parts.records.extend(reader.tables(&name, value)),
            "owners" => parts.owners.extend(reader.tables(&name, value)),
            "workloads" => parts.workloads.extend(reader.tables(&name, value)),
            _ => {}
        }
    }
}
