//! The due queue: secrets waiting to be reconciled, one entry per secret
//! (a secret queued twice keeps the earlier time), read earliest first.

use chrono::{DateTime, Utc};
use tenure_plugin_api::SecretAddress;

use super::{Db, Sql, SqlStore, from_millis, millis};
use crate::state::{QueueItem, StateError};

pub(super) async fn enqueue<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
    due: DateTime<Utc>,
    reason: &str,
) -> Result<(), StateError> {
    store
        .write(
            Sql::new(
                "INSERT INTO queue (secret, due, reason) VALUES ($1, $2, $3)
                 ON CONFLICT (secret) DO UPDATE SET due = excluded.due, reason = excluded.reason
                 WHERE excluded.due < queue.due",
            )
            .bind(secret.to_string())
            .bind(millis(due))
            .bind(reason),
        )
        .await?;
    Ok(())
}

pub(super) async fn due<D: Db>(
    store: &SqlStore<D>,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<QueueItem>, StateError> {
    let sql = Sql::new(
        "SELECT secret, due, reason FROM queue WHERE due <= $1 ORDER BY due, secret LIMIT $2",
    )
    .bind(millis(now))
    .bind(i64::from(limit));
    store
        .rows(sql, |row| {
            let secret = D::text(row, "secret")?;
            Ok(QueueItem {
                secret: secret.parse().map_err(|e| StateError::Corrupt {
                    table: "queue",
                    detail: format!("secret: {e}"),
                })?,
                due: from_millis(D::int(row, "due")?),
                reason: D::text(row, "reason")?,
            })
        })
        .await
}

pub(super) async fn dequeue<D: Db>(
    store: &SqlStore<D>,
    secret: &SecretAddress,
) -> Result<(), StateError> {
    store
        .write(Sql::new("DELETE FROM queue WHERE secret = $1").bind(secret.to_string()))
        .await?;
    Ok(())
}
