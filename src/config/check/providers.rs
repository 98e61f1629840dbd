//! `[providers.<name>]`: each vault's plugin settings, and that there is at least one.

use std::collections::BTreeMap;
use std::path::Path;

use super::Checker;
use super::checker::plugin_tables;
use crate::config::document::Located;
use crate::plugins::ProviderConfig;

/// Checks every `[providers.<name>]` table (relative paths resolve against
/// `base`), and that one is configured when nothing else is wrong.
pub fn check_providers(
    check: &mut Checker<'_>,
    tables: Vec<Located<(String, ProviderConfig)>>,
    base: &Path,
) -> BTreeMap<String, ProviderConfig> {
    let providers = plugin_tables(check, tables, |config| {
        config.rebase(base);
        config.validate()
    });
    if providers.is_empty() && check.is_empty() {
        check.report_in(
            0,
            0..0,
            "providers",
            "no providers configured; add at least one [providers.<name>] table",
        );
    }
    providers
}
