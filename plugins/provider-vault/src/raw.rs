//! Vault HTTP calls vaultrs has no API for (lease lookup and revocation,
//! KV v2 metadata PATCH), made through vaultrs's own HTTP client so they use
//! the same address, TLS settings, token and namespace.

use serde_json::{Map, Value, json};
use tenure_plugin_api::{ErrorKind, PluginError};
use vaultrs::client::{Client, VaultClient};

/// A request to `/v1/<path>` with the client's token and namespace.
pub fn request(
    client: &VaultClient,
    method: &str,
    path: &str,
) -> Result<reqwest::RequestBuilder, PluginError> {
    let http = client.http();
    let url = format!("{}/v1/{path}", http.base.trim_end_matches('/'));
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|e| PluginError::permanent(format!("{method}: {e}")))?;
    let mut builder = http
        .http
        .request(method, url)
        .header("X-Vault-Token", &client.settings().token)
        .header("X-Vault-Request", "true");
    if let Some(namespace) = &client.settings().namespace {
        builder = builder.header("X-Vault-Namespace", namespace);
    }
    Ok(builder)
}

/// A non-success HTTP status as a plugin error (bodies of these endpoints
/// hold error messages, never secret values).
pub fn status_error(context: &str, status: u16, body: &str) -> PluginError {
    let detail: String = body.chars().take(300).collect();
    let message = format!("{context}: HTTP {status}: {detail}");
    PluginError::new(ErrorKind::from_http_status(status), message)
}

/// Sends `request`; a failure to reach the server is retryable, and says
/// what `context` was doing.
pub async fn send(
    request: reqwest::RequestBuilder,
    context: &str,
) -> Result<reqwest::Response, PluginError> {
    request
        .send()
        .await
        .map_err(|e| PluginError::retryable(format!("{context}: {e}")))
}

/// Sends `request`; any status but a success is an error.
pub async fn send_ok(request: reqwest::RequestBuilder, context: &str) -> Result<(), PluginError> {
    let response = send(request, context).await?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(status_error(context, status, &body))
}

/// Merges `changes` into the custom metadata of `mount/path` in one request
/// (`PATCH <mount>/metadata/<path>`, JSON merge patch: a `null` removes the
/// key; other keys are left as they are). Needs Vault 1.9+ or OpenBao.
pub async fn patch_custom_metadata(
    client: &VaultClient,
    mount: &str,
    path: &str,
    changes: Map<String, Value>,
) -> Result<(), PluginError> {
    let patch = request(client, "PATCH", &format!("{mount}/metadata/{path}"))?
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({ "custom_metadata": changes }).to_string());
    send_ok(patch, &format!("patch metadata of {path}")).await
}
