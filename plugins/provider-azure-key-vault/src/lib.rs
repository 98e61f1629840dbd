//! The `azure_key_vault` provider: Azure Key Vault secrets through the
//! official SDK (`azure_security_keyvault_secrets`, `azure_identity`,
//! `azure_core`).
//!
//! Key Vault has versions, attributes (`enabled`, `exp`, `nbf`) and tags,
//! but no staging labels, and "get the secret" always returns its newest
//! version (a disabled newest version is refused with 403, not skipped).
//! Tenure's stages are represented like this:
//!
//! - **names**: a Tenure path maps to a Key Vault name by writing `/` as
//!   `--` and `_` as `---` (Key Vault names allow only letters, digits and
//!   `-`); letters, digits and single `-` stay. So that a name maps back to
//!   one path, `-`, `/` and `_` must sit between letters or digits; other
//!   paths are refused with a permanent error naming the rule. Names of up
//!   to 111 characters (Key Vault allows 127; the staging suffix takes 16).
//!   Key Vault compares names without regard to case: `App` and `app` are
//!   the same secret. Secrets whose names no path maps to (four `-` in a
//!   row), and secrets that back certificates (`managed`), are not
//!   inventoried.
//! - **current** is the newest version of the secret: exactly what a
//!   consumer reading "latest" gets. Its `enabled`, `exp` and tags are the
//!   secret's `enabled`, `expires_at` and tags in the metadata. Key Vault
//!   keeps creation times in whole seconds and lists versions in the order
//!   of their ids, not of their creation; of two versions written in the
//!   same second, the one the other names in `tenure-previous-version` is
//!   the older (every version Tenure writes names the one it replaces).
//!   Two versions written by others within one second cannot be told apart.
//! - **pending** lives in a separate *staging secret* named
//!   `<name>--tenure-pending`, never in the secret itself: a new version of
//!   the secret would be what every consumer reads at once, and a disabled
//!   one would make "get latest" fail with 403 for every consumer until
//!   promotion. The staged version is enabled (Tenure must read it to set
//!   and test it) and tagged `tenure-stage=pending`, `tenure-run=<token>`
//!   and the annotations as `tenure-note-<key>`; its version id is the
//!   pending version's id. Staging is idempotent by token: a live staged
//!   version with the same token is returned as is; one with another token
//!   is a conflict, which the workflow resolves by discarding it (a stale
//!   pending version never blocks the next rotation).
//! - **promote** writes the staged value as a new version of the secret,
//!   enabled, with `nbf` = now, a new `exp` (now + `expires_after` when
//!   configured, else now + the lifetime of the version it replaces, else
//!   none), the current version's tags and content type, and the tags
//!   `tenure-previous-version=<replaced version>`, `tenure-rotated-at`,
//!   `tenure-promoted-from=<staged version>` and `tenure-run`; then it
//!   disables the staged version. A replayed promotion finds
//!   `tenure-promoted-from` on the current version and only finishes the
//!   cleanup. The promoted value therefore gets a new version id (the
//!   trait allows it: ask `describe` which version is current).
//! - **previous** is the version the current one names in
//!   `tenure-previous-version`, while it is enabled. **retire** disables it
//!   (Key Vault cannot delete one version); a disabled version is gone for
//!   Tenure (`read_version` says not found). The current version cannot be
//!   retired (conflict).
//! - **discard** disables the staged version. Staging secrets are never
//!   deleted: in a vault with soft delete (every vault now), a deleted name
//!   cannot be written again until it is purged, which needs a permission
//!   Tenure should not hold.
//! - **disable** (`set_enabled(false)`, and a revocation's last step)
//!   disables the current version, so "get latest" is refused; enabling
//!   re-enables it. Nothing is deleted.
//! - inventory is the paged secret list (the SDK follows `nextLink`; page
//!   size `page_size`), then each secret's versions, and its staging
//!   secret's versions when the listing shows a live staged version. Tags
//!   whose names start with `tenure-` are Tenure's bookkeeping and are not
//!   shown in the metadata's tags.
//! - every call first takes a token from a client-side budget (`rate` per
//!   second for the vault); on a 429 the SDK's retry policy waits at least
//!   the `Retry-After` the service sends.
//!
//! Errors: 404 is not found, 401 and 403 unauthorized (but a 403 "not
//! allowed on a disabled secret" is permanent, and not found when a
//! version is read by id: a retired version is gone),
//! an Entra ID refusal unauthorized, 409 conflict, 429, 408 and 5xx
//! retryable (after the SDK's own retries), anything else permanent. No
//! error, log line or `Debug` output carries a secret value (the SDK's
//! request model holds the value as a plain `String` for the time of one
//! write; everything Tenure keeps is a `SecretValue`).
//!
//! # Layout
//!
//! - `config`: the configuration, its pure checks, the vault URL.
//! - `credential`: the Azure credential and SDK client options built from
//!   the config; [`BuildError`].
//! - `convert`: paths to names and back, SDK errors to plugin errors, times.
//! - `model/`: the pure model (no I/O, unit-tested without the stand-in):
//!   `state` (which version is current, previous, pending; the metadata),
//!   `plans` (what staging, promoting and retiring take), `inventory`
//!   (what the secret list says to inventory), `writes` (the tags, content
//!   type, `nbf` and `exp` of each write).
//! - `client/`: the SDK calls, within the rate budget, errors mapped with
//!   what was being done; `models` turns SDK models into the model's.
//! - `provider/`: the provider traits ([`Provider`](tenure_plugin_api::Provider)
//!   and the job traits it is made of), one module a job, over the above.

mod client;
mod config;
mod convert;
mod credential;
mod model;
mod plugin;
mod provider;

pub use config::{AzureKeyVaultConfig, Credential, VaultUrl};
pub use convert::{NameError, name_of, path_of};
pub use credential::BuildError;
pub use plugin::Plugin;
pub use provider::AzureKeyVaultProvider;
