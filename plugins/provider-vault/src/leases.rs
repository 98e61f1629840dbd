//! Dynamic-secret leases: revoke every lease under a prefix
//! (`sys/leases/revoke-prefix`, synchronous) and count what is left
//! (`LIST sys/leases/lookup`), through [`crate::raw`] (vaultrs has no lease
//! API).

use serde::Deserialize;
use tenure_plugin_api::{LeaseRevocation, PluginError};
use vaultrs::client::VaultClient;

use crate::raw::{request, send, send_ok, status_error};

#[derive(Deserialize)]
struct ListData {
    keys: Vec<String>,
}

#[derive(Deserialize)]
struct ListResponse {
    data: ListData,
}

/// Checks that `prefix` is a plain lease path (no empty or dot segments).
pub fn normalize(prefix: &str) -> Result<String, PluginError> {
    let trimmed = prefix.trim_matches('/');
    let valid = !trimmed.is_empty()
        && trimmed
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(PluginError::permanent(format!(
            "invalid lease prefix {prefix:?}"
        )))
    }
}

/// Counts the leases under `prefix`, recursively.
pub async fn count(client: &VaultClient, prefix: &str) -> Result<usize, PluginError> {
    let mut total = 0;
    let mut folders = vec![prefix.to_owned()];
    while let Some(folder) = folders.pop() {
        let context = format!("list leases under {folder}");
        let list = request(client, "LIST", &format!("sys/leases/lookup/{folder}/"))?;
        let response = send(list, &context).await?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| PluginError::retryable(format!("{context}: {e}")))?;
        match status {
            404 => continue,
            200 => {}
            _ => return Err(status_error(&context, status, &body)),
        }
        let list: ListResponse = serde_json::from_str(&body)
            .map_err(|e| PluginError::retryable(format!("{context}: unexpected reply: {e}")))?;
        for key in list.data.keys {
            match key.strip_suffix('/') {
                Some(sub) => folders.push(format!("{folder}/{sub}")),
                None => total += 1,
            }
        }
    }
    Ok(total)
}

/// Revokes the leases under `prefix` and proves none remain.
pub async fn revoke_prefix(
    client: &VaultClient,
    prefix: &str,
) -> Result<LeaseRevocation, PluginError> {
    let prefix = normalize(prefix)?;
    let found = count(client, &prefix).await?;
    let context = format!("revoke leases under {prefix}");
    // revoke-prefix is synchronous by default (`sync=true`).
    let revoke = request(client, "PUT", &format!("sys/leases/revoke-prefix/{prefix}"))?;
    send_ok(revoke, &context).await?;
    let remaining = count(client, &prefix).await?;
    if remaining > 0 {
        return Err(PluginError::retryable(format!(
            "{context}: {remaining} of {found} leases remain after revoke-prefix"
        )));
    }
    tracing::info!(prefix = %prefix, found, "vault leases revoked; none remain");
    Ok(LeaseRevocation {
        prefix,
        found,
        remaining,
    })
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn lease_prefixes_are_plain_paths() {
        assert_eq!(
            normalize("/database/creds/orders/").expect("ok"),
            "database/creds/orders"
        );
        assert!(normalize("").is_err());
        assert!(normalize("database/../sys").is_err());
        assert!(normalize("database//creds").is_err());
    }
}
