//! Per-secret leases: one holder acts on a secret at a time; a lease has an
//! expiry, so a dead holder's secrets are picked up once its leases lapse,
//! and a holder known to be dead can have its lease taken over at once.

use std::time::Duration;

use chrono::Utc;
use tenure_plugin_api::SecretAddress;

use super::{Db, Sql, SqlStore, millis};
use crate::state::StateError;

pub(super) async fn try_lease<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    holder: &str,
    ttl: Duration,
) -> Result<bool, StateError> {
    let now = Utc::now();
    let expires = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    let changed = store
        .write(
            Sql::new(
                "INSERT INTO leases (secret, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (secret) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
            )
            .bind(secret.to_string())
            .bind(holder)
            .bind(millis(expires))
            .bind(millis(now)),
        )
        .await?;
    Ok(changed == 1)
}

pub(super) async fn lease_holder<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
) -> Result<Option<String>, StateError> {
    let sql = Sql::new("SELECT holder FROM leases WHERE secret = $1").bind(secret.to_string());
    store.row(sql, |row| D::text(row, "holder")).await
}

pub(super) async fn take_over_lease<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    from: &str,
    to: &str,
    ttl: Duration,
) -> Result<bool, StateError> {
    let expires = Utc::now() + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    let changed = store
        .write(
            Sql::new(
                "UPDATE leases SET holder = $1, expires_at = $2 WHERE secret = $3 AND holder = $4",
            )
            .bind(to)
            .bind(millis(expires))
            .bind(secret.to_string())
            .bind(from),
        )
        .await?;
    Ok(changed == 1)
}

pub(super) async fn release_lease<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    holder: &str,
) -> Result<(), StateError> {
    store
        .write(
            Sql::new("DELETE FROM leases WHERE secret = $1 AND holder = $2")
                .bind(secret.to_string())
                .bind(holder),
        )
        .await?;
    Ok(())
}
