//! Per-secret state kept between runs: consecutive failures, quarantine,
//! the last error, when the secret was last rotated or revoked, and the
//! fingerprint of the last decision audited.

use std::collections::HashMap;

use tenure_plugin_api::SecretAddress;

use super::{Db, Sql, SqlStore, from_millis, millis};
use crate::state::{SecretState, StateError};

pub(super) async fn secret_state<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
) -> Result<SecretState, StateError> {
    let sql = Sql::new("SELECT * FROM secret_state WHERE secret = $1").bind(secret.to_string());
    let state = store.row(sql, state_from_row::<D>).await?;
    Ok(state.unwrap_or_default())
}

pub(super) async fn secret_states<D: Db>(
    store: &SqlStore<D>,
) -> Result<HashMap<String, SecretState>, StateError> {
    let sql = Sql::new("SELECT * FROM secret_state");
    store
        .rows(sql, |row| {
            Ok((D::text(row, "secret")?, state_from_row::<D>(row)?))
        })
        .await
}

pub(super) async fn put_secret_state<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    state: &SecretState,
) -> Result<(), StateError> {
    store
        .write(
            Sql::new(
                "INSERT INTO secret_state (secret, failures, quarantined, last_error, last_rotated_at, revoked_at, last_decision)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (secret) DO UPDATE SET failures = excluded.failures, quarantined = excluded.quarantined,
                    last_error = excluded.last_error, last_rotated_at = excluded.last_rotated_at,
                    revoked_at = excluded.revoked_at, last_decision = excluded.last_decision",
            )
            .bind(secret.to_string())
            .bind(i64::from(state.failures))
            .bind(state.quarantined)
            .bind(&state.last_error)
            .bind(state.last_rotated_at.map(millis))
            .bind(state.revoked_at.map(millis))
            .bind(&state.last_decision),
        )
        .await?;
    Ok(())
}

fn state_from_row<D: Db>(row: &D::Row) -> Result<SecretState, StateError> {
    Ok(SecretState {
        failures: D::int(row, "failures")?.try_into().unwrap_or(u32::MAX),
        quarantined: D::boolean(row, "quarantined")?,
        last_error: D::opt_text(row, "last_error")?,
        last_rotated_at: D::opt_int(row, "last_rotated_at")?.map(from_millis),
        revoked_at: D::opt_int(row, "revoked_at")?.map(from_millis),
        last_decision: D::opt_text(row, "last_decision")?,
    })
}
