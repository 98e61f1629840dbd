//! Sent notifications: each key is marked once, by whichever process or
//! replica sends it first, and forgotten when it should be sent again.

use chrono::Utc;

use super::{Db, Sql, SqlStore, millis};
use crate::state::StateError;

pub(super) async fn mark_notified<D: Db>(
    store: &SqlStore<D>,
    key: &str,
) -> Result<bool, StateError> {
    let changed = store
        .write(
            Sql::new("INSERT INTO notifications (key, at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(key)
                .bind(millis(Utc::now())),
        )
        .await?;
    Ok(changed == 1)
}

pub(super) async fn forget_notified<D: Db>(
    store: &SqlStore<D>,
    key: &str,
) -> Result<(), StateError> {
    store
        .write(Sql::new("DELETE FROM notifications WHERE key = $1").bind(key))
        .await?;
    Ok(())
}
