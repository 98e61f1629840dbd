//! The diagnostics collector every section check reports to, and the small
//! checks several sections share (ranges, duplicate ids, configured names).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::ops::{Range, RangeInclusive};

use serde_spanned::Spanned;

use crate::config::diagnostics::{Diagnostic, SourceFile};
use crate::config::document::Located;

/// Collects [`Diagnostic`]s; knows the files, so each names file,
/// line:column and key path.
pub struct Checker<'a> {
    files: &'a [SourceFile],
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// A collector that appends to `diagnostics`.
    pub fn new(files: &'a [SourceFile], diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        Self { files, diagnostics }
    }

    /// Reports a problem at `span` of the file with index `file`.
    pub fn report_in(
        &mut self,
        file: usize,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics
            .push(self.files[file].diagnostic(Some(span), key, message));
    }

    /// Reports a problem in the file `at` was read from: at `span`, or at
    /// `at` itself when `span` is `None`.
    pub fn report<T>(
        &mut self,
        at: &Located<T>,
        span: Option<Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let span = span.unwrap_or_else(|| at.span.clone());
        self.report_in(at.file, span, key, message);
    }

    /// Reports a problem with the field `field` of `at` (its key is
    /// `<at's key>.<field>`), at `span`.
    pub fn report_field<T>(
        &mut self,
        at: &Located<T>,
        field: impl Display,
        span: Range<usize>,
        message: impl Into<String>,
    ) {
        self.report_in(at.file, span, format!("{}.{field}", at.key), message);
    }

    /// `file:line:column` of `at`, for messages that point at a first definition.
    pub fn where_is<T>(&self, at: &Located<T>) -> String {
        let src = &self.files[at.file];
        let (line, column) = src.position(at.span.start);
        format!("{}:{line}:{column}", src.path.display())
    }

    /// `file:line:column` of `offset` in the file with index `file`, for
    /// errors found later (when a credential is read at start).
    pub fn location(&self, file: usize, offset: usize) -> String {
        let src = &self.files[file];
        let (line, column) = src.position(offset);
        format!("{}:{line}:{column}", src.path.display())
    }

    /// How many diagnostics there are, including those added before this collector.
    pub fn count(&self) -> usize {
        self.diagnostics.len()
    }

    /// Whether there are no diagnostics at all, including earlier ones.
    pub fn is_empty(&self) -> bool {
        self.diagnostics.is_empty()
    }

    /// `value` when it lies in `range`; otherwise reported at `key` as
    /// "must be between <min> and <max>", and `None`.
    pub fn in_range<T: PartialOrd + Display + Copy>(
        &mut self,
        file: usize,
        value: &Spanned<T>,
        key: impl Into<String>,
        range: RangeInclusive<T>,
    ) -> Option<T> {
        let n = *value.get_ref();
        if range.contains(&n) {
            return Some(n);
        }
        let message = format!("must be between {} and {}", range.start(), range.end());
        self.report_in(file, value.span(), key, message);
        None
    }
}

/// The `[providers.<name>]` or `[targets.<name>]` tables by name, each
/// `settle`d first: its relative paths resolved and what serde cannot check
/// checked, a problem reported at the table's key.
pub fn plugin_tables<C>(
    check: &mut Checker<'_>,
    tables: Vec<Located<(String, C)>>,
    settle: impl Fn(&mut C) -> Result<(), String>,
) -> BTreeMap<String, C> {
    let mut configs = BTreeMap::new();
    for mut entry in tables {
        if let Err(message) = settle(&mut entry.value.1) {
            check.report(&entry, None, entry.key.clone(), message);
        }
        let (name, config) = entry.value;
        configs.insert(name, config);
    }
    configs
}

/// "configured: a, b" (or "none are configured"), for unknown-name messages.
pub fn configured_names(map: &BTreeMap<String, impl Sized>) -> String {
    let names: Vec<&str> = map.keys().map(String::as_str).collect();
    if names.is_empty() {
        "none are configured".to_owned()
    } else {
        format!("configured: {}", names.join(", "))
    }
}

/// Where each id of one kind (owner, workload, record) was first defined.
#[derive(Default)]
pub struct FirstDefinitions(HashMap<String, String>);

impl FirstDefinitions {
    /// Whether `id` of the item `at` is new; a repeated one is reported as
    /// "duplicate <what> ..." at `<key>.id`, naming the first definition.
    pub fn is_new<T>(
        &mut self,
        check: &mut Checker<'_>,
        at: &Located<T>,
        id: &Spanned<String>,
        what: &str,
    ) -> bool {
        if let Some(first) = self.0.get(id.get_ref()) {
            let message = format!(
                "duplicate {what} {:?} (first defined at {first})",
                id.get_ref()
            );
            check.report_field(at, "id", id.span(), message);
            return false;
        }
        self.0.insert(id.get_ref().clone(), check.where_is(at));
        true
    }
}

/// `url` without a trailing `/` when it is an http(s) URL without
/// whitespace, query or fragment (a base other paths are appended to).
pub fn base_url(url: &str) -> Option<String> {
    let url = url.trim_end_matches('/');
    ((url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace)
        && !url.contains(['?', '#']))
    .then(|| url.to_owned())
}
