//! The Azure SDK's secret models as the [`model`](crate::model)'s: ids,
//! names, attributes and tags of versions, and a response's value.

use std::collections::HashMap;

use azure_security_keyvault_secrets::models::{Secret, SecretAttributes, SecretProperties};
use tenure_plugin_api::{PluginError, SecretValue};

use crate::convert::to_chrono;
use crate::model::{Listed, Version};

/// The last segment of a Key Vault object id
/// (`https://<vault>/secrets/<name>/<version>`).
fn last_segment(id: &str) -> Option<&str> {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// The secret name of an id (`https://<vault>/secrets/<name>[/<version>]`).
fn name_in_id(id: &str) -> Option<&str> {
    let (_, rest) = id.split_once("/secrets/")?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

/// One entry of the secret list; `None` when its id names no secret.
pub fn listed(item: &SecretProperties) -> Option<Listed> {
    let name = item.id.as_deref().and_then(name_in_id)?;
    Some(Listed {
        name: name.to_owned(),
        managed: item.managed == Some(true),
        newest: from_properties(item),
    })
}

fn version_of(
    id: Option<&str>,
    attributes: Option<&SecretAttributes>,
    content_type: Option<&String>,
    tags: Option<&HashMap<String, String>>,
) -> Option<Version> {
    let id = last_segment(id?)?.to_owned();
    Some(Version {
        id,
        created: attributes.and_then(|a| a.created).and_then(to_chrono),
        // Key Vault treats a missing `enabled` as enabled.
        enabled: attributes.and_then(|a| a.enabled).unwrap_or(true),
        expires: attributes.and_then(|a| a.expires).and_then(to_chrono),
        not_before: attributes.and_then(|a| a.not_before).and_then(to_chrono),
        content_type: content_type.cloned(),
        tags: tags.cloned().unwrap_or_default(),
    })
}

pub fn from_properties(p: &SecretProperties) -> Option<Version> {
    version_of(
        p.id.as_deref(),
        p.attributes.as_ref(),
        p.content_type.as_ref(),
        p.tags.as_ref(),
    )
}

pub fn from_secret(s: &Secret) -> Option<Version> {
    version_of(
        s.id.as_deref(),
        s.attributes.as_ref(),
        s.content_type.as_ref(),
        s.tags.as_ref(),
    )
}

pub fn value_of(path: &str, mut secret: Secret) -> Result<SecretValue, PluginError> {
    secret
        .value
        .take()
        .map(SecretValue::new)
        .ok_or_else(|| PluginError::permanent(format!("read {path}: the response has no value")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        let id = "https://v.vault.azure.net/secrets/db--password/0123456789abcdef0123456789abcdef";
        assert_eq!(last_segment(id), Some("0123456789abcdef0123456789abcdef"));
        assert_eq!(name_in_id(id), Some("db--password"));
        assert_eq!(name_in_id("https://v.vault.azure.net/secrets/x"), Some("x"));
    }
}
