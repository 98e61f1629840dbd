//! A record's `secrets` selector: one exact address, or a glob within one provider.

use tenure_plugin_api::SecretAddress;

use crate::governance::{Selector, compile_glob};

const GLOB_CHARS: [char; 4] = ['*', '?', '[', '{'];

/// Parses `provider:path` (exact) or `provider:glob`; the error is the whole message.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    if text.contains(GLOB_CHARS) {
        let (provider, path) = text.split_once(':').ok_or_else(|| {
            format!("invalid selector {text:?}: expected <provider>:<path or glob>")
        })?;
        if provider.contains(GLOB_CHARS) || SecretAddress::new(provider, "x").is_err() {
            return Err(format!(
                "invalid selector {text:?}: the provider part must be a plain provider name"
            ));
        }
        if path.is_empty() {
            return Err(format!("invalid selector {text:?}: the path glob is empty"));
        }
        compile_glob(text).map_err(|e| format!("invalid glob {text:?}: {}", e.kind()))?;
        Ok(Selector::Glob(text.to_owned()))
    } else {
        text.parse::<SecretAddress>()
            .map(Selector::Exact)
            .map_err(|e| format!("invalid address {text:?}: {e}"))
    }
}

/// The provider a selector names.
pub fn selector_provider(selector: &Selector) -> &str {
    match selector {
        Selector::Exact(address) => address.provider(),
        Selector::Glob(pattern) => pattern.split(':').next().unwrap_or_default(),
    }
}
