//! The `[providers.<name>]` and `[targets.<name>]` tables: split into name,
//! `type` and the plugin's own keys (plus the target settings Tenure itself
//! reads), then handed to the plugin registry to parse.

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Located, at, one_of, read};
use crate::config::diagnostics::{Diagnostic, SourceFile};
use crate::config::raw::RawTargetSettings;
use crate::plugins;

/// One plugin's table (its `type` key taken out), read by its factory.
pub(crate) struct PluginTable<'a, 'i> {
    src: &'a SourceFile,
    key: &'a str,
    value: Option<Spanned<DeValue<'i>>>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl PluginTable<'_, '_> {
    /// Reads the table as `T`, reporting any error itself; `None` means it
    /// was reported (or the table was already read).
    pub(crate) fn read<T: DeserializeOwned>(&mut self) -> Option<T> {
        let value = self.value.take()?;
        read(self.src, self.key, value, self.diagnostics)
    }
}

/// One `[providers.<name>]` / `[targets.<name>]` table, split.
struct PluginEntry<'i> {
    name: String,
    span: Range<usize>,
    type_name: Spanned<String>,
    rest: Spanned<DeValue<'i>>,
}

/// Splits `[providers.<name>]` / `[targets.<name>]` into name, type and the rest.
fn plugin_tables<'i>(
    src: &SourceFile,
    section: &str,
    value: Spanned<DeValue<'i>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PluginEntry<'i>> {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        diagnostics.push(src.diagnostic(Some(span), section, "expected a table of named entries"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, entry) in table {
        let key = format!("{section}.{}", name.get_ref());
        let name_text = name.get_ref().to_string();
        if tenure_plugin_api::SecretAddress::new(name_text.clone(), "x").is_err() {
            diagnostics.push(src.diagnostic(
                Some(name.span()),
                &key,
                "names may use only letters, digits, '-' and '_'",
            ));
            continue;
        }
        let entry_span = entry.span();
        let DeValue::Table(mut fields) = entry.into_inner() else {
            diagnostics.push(src.diagnostic(Some(entry_span), &key, "expected a table"));
            continue;
        };
        let type_name = match fields.remove("type") {
            None => {
                diagnostics.push(src.diagnostic(Some(entry_span), &key, "missing field `type`"));
                continue;
            }
            Some(value) => {
                let value_span = value.span();
                match value.get_ref().as_str() {
                    Some(text) => Spanned::new(value_span, text.to_owned()),
                    None => {
                        diagnostics.push(src.diagnostic(
                            Some(value_span),
                            format!("{key}.type"),
                            "expected a string",
                        ));
                        continue;
                    }
                }
            }
        };
        out.push(PluginEntry {
            name: name_text,
            span: entry_span.clone(),
            type_name,
            rest: Spanned::new(entry_span, DeValue::Table(fields)),
        });
    }
    out
}

/// The keys of a target table that are Tenure's own, not its plugin's.
const TARGET_SETTINGS: [&str; 3] = ["attest", "discover", "on_unmanaged"];

/// Takes Tenure's own keys out of each target table and reads them.
pub(super) fn read_target_settings(
    src: &SourceFile,
    file: usize,
    value: &mut Spanned<DeValue<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Located<(String, RawTargetSettings)>> {
    let DeValue::Table(table) = value.get_mut() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, entry) in table.iter_mut() {
        let span = entry.span();
        let DeValue::Table(fields) = entry.get_mut() else {
            continue;
        };
        let mut own = DeTable::new();
        for key in TARGET_SETTINGS {
            if let Some((k, v)) = fields.remove_entry(key) {
                own.insert(k, v);
            }
        }
        if own.is_empty() {
            continue;
        }
        let key = format!("targets.{}", name.get_ref());
        let own = Spanned::new(span.clone(), DeValue::Table(own));
        if let Some(settings) = read::<RawTargetSettings>(src, &key, own, diagnostics) {
            found.push(at(file, key, span, (name.get_ref().to_string(), settings)));
        }
    }
    found
}

/// Reads every `[<noun>s.<name>]` table through the registry's `parse`.
pub(super) fn read_plugins<T>(
    src: &SourceFile,
    file: usize,
    noun: &str,
    types: &[&str],
    value: Spanned<DeValue<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
    parse: impl Fn(&str, &mut PluginTable<'_, '_>) -> Result<Option<T>, plugins::UnknownType>,
) -> Vec<Located<(String, T)>> {
    let section = format!("{noun}s");
    let mut found = Vec::new();
    for entry in plugin_tables(src, &section, value, diagnostics) {
        let key = format!("{section}.{}", entry.name);
        let mut reader = PluginTable {
            src,
            key: &key,
            value: Some(entry.rest),
            diagnostics,
        };
        match parse(entry.type_name.get_ref(), &mut reader) {
            Ok(Some(config)) => found.push(at(file, key, entry.span, (entry.name, config))),
            Ok(None) => {}
            Err(plugins::UnknownType) => diagnostics.push(src.diagnostic(
                Some(entry.type_name.span()),
                format!("{key}.type"),
                format!(
                    "unknown {noun} type {:?}, expected one of {}",
                    entry.type_name.get_ref(),
                    one_of(types)
                ),
            )),
        }
    }
    found
}
