//! The audit checkpoint registry (see [`crate::audit::Checkpoint`]): rows
//! numbered from 1; a row is stored only under the next free number, so two
//! replicas writing at once cannot both take it (the loser reads the new
//! last row and chains onto it).

use super::{Db, Sql, SqlStore, json_text};
use crate::audit::Checkpoint;
use crate::state::StateError;

fn read<D: Db>(row: &D::Row) -> Result<Checkpoint, StateError> {
    let number = |column: &str, value: i64| {
        u64::try_from(value).map_err(|_| StateError::Corrupt {
            table: "audit_checkpoints",
            detail: format!("{column} is negative"),
        })
    };
    let sig = match D::opt_text(row, "sig")? {
        Some(text) => Some(
            serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
                table: "audit_checkpoints",
                detail: format!("sig: {e}"),
            })?,
        ),
        None => None,
    };
    Ok(Checkpoint {
        id: number("id", D::int(row, "id")?)?,
        trail: D::text(row, "trail")?,
        seq: number("seq", D::int(row, "seq")?)?,
        hash: D::text(row, "hash")?,
        sig,
        at: D::int(row, "at")?,
        prev: D::text(row, "prev")?,
        row_hash: D::text(row, "row_hash")?,
    })
}

fn signed(value: u64, column: &str) -> Result<i64, StateError> {
    i64::try_from(value).map_err(|_| StateError::Corrupt {
        table: "audit_checkpoints",
        detail: format!("{column} {value} is too large"),
    })
}

/// Stores `row` if its number is still free; whether it did.
pub(super) async fn insert_checkpoint<D: Db>(
    store: &SqlStore<D>,
    row: &Checkpoint,
) -> Result<bool, StateError> {
    let sig = row.sig.as_ref().map(|s| json_text(s, "sig")).transpose()?;
    let changed = store
        .write(
            Sql::new(
                "INSERT INTO audit_checkpoints (id, trail, seq, hash, sig, at, prev, row_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT DO NOTHING",
            )
            .bind(signed(row.id, "id")?)
            .bind(&row.trail)
            .bind(signed(row.seq, "seq")?)
            .bind(&row.hash)
            .bind(sig)
            .bind(row.at)
            .bind(&row.prev)
            .bind(&row.row_hash),
        )
        .await?;
    Ok(changed == 1)
}

/// The last row, if any.
pub(super) async fn last_checkpoint<D: Db>(
    store: &SqlStore<D>,
) -> Result<Option<Checkpoint>, StateError> {
    let sql = Sql::new("SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1");
    store.row(sql, read::<D>).await
}

/// Every row, in order.
pub(super) async fn checkpoints<D: Db>(store: &SqlStore<D>) -> Result<Vec<Checkpoint>, StateError> {
    let sql = Sql::new("SELECT * FROM audit_checkpoints ORDER BY id");
    store.rows(sql, read::<D>).await
}
