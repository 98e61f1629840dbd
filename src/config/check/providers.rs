//! `[providers.<name>]`: each vault's plugin settings, and that there is at least one.

use std::collections::BTreeMap;
use std::path::Path;

use super::Checker;
use crate::config::document::Located;
use crate::plugins::ProviderConfig;

/// Checks every `[providers.<name>]` table (relative paths resolve against
/// `base`), and that one is configured when nothing else is wrong.
pub fn check_providers(
    check: &mut Checker<'_>,
    tables: Vec<Located<(String, ProviderConfig)>>,
    base: &Path,
) -> BTreeMap<String, ProviderConfig> {
    let mut providers = BTreeMap::new();
    for mut entry in tables {
        entry.value.1.rebase(base);
        if let Err(message) = entry.value.1.validate() {
            check.report(&entry, None, entry.key.clone(), message);
        }
        let (name, config) = entry.value;
        providers.insert(name, config);
    }
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
