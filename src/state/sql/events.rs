//! Event intake: accepted events (stored before they are acknowledged, each
//! processed exactly once) and the signals processing leaves, stored in the
//! same transaction that marks the event processed.

use chrono::Utc;

use super::{Db, Sql, SqlStore, Tx, from_millis, millis};
use crate::state::{InboundEvent, Intake, Signal, SignalKind, StateError};

pub(super) async fn insert_event<D: Db>(
    store: &SqlStore<D>,
    event: &InboundEvent,
) -> Result<Intake, StateError> {
    let changed = store.write(insert_event_sql(event)?).await?;
    Ok(if changed == 1 {
        Intake::Stored
    } else {
        Intake::Duplicate
    })
}

/// The statement that stores `event` (nothing when its id or delivery id is known).
pub(super) fn insert_event_sql(event: &InboundEvent) -> Result<Sql, StateError> {
    let data = serde_json::to_string(&event.data)
        .map_err(|e| StateError::Database(format!("event data: {e}")))?;
    Ok(Sql::new(
        "INSERT INTO events (id, delivery_id, kind, data, occurred_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&event.id)
    .bind(&event.delivery_id)
    .bind(&event.kind)
    .bind(data)
    .bind(event.occurred_at.map(millis))
    .bind(millis(event.received_at)))
}

pub(super) async fn pending_events<D: Db>(
    store: &SqlStore<D>,
    limit: u32,
) -> Result<Vec<InboundEvent>, StateError> {
    let sql = Sql::new(
        "SELECT id, delivery_id, kind, data, occurred_at, received_at FROM events
         WHERE processed_at IS NULL ORDER BY received_at, id LIMIT $1",
    )
    .bind(i64::from(limit));
    store.rows(sql, event_from_row::<D>).await
}

pub(super) async fn complete_event<D: Db>(
    store: &SqlStore<D>,
    id: &str,
    outcome: &str,
    signals: &[Signal],
) -> Result<bool, StateError> {
    let mut tx = store.begin().await?;
    let done = complete_in(&mut tx, id, outcome, signals).await?;
    tx.commit().await?;
    store.durable().await?;
    Ok(done)
}

pub(super) async fn complete_events<D: Db>(
    store: &SqlStore<D>,
    done: &[(String, &'static str, Vec<Signal>)],
) -> Result<Vec<bool>, StateError> {
    let mut tx = store.begin().await?;
    let mut flags = Vec::with_capacity(done.len());
    for (id, outcome, signals) in done {
        flags.push(complete_in(&mut tx, id, outcome, signals).await?);
    }
    tx.commit().await?;
    store.durable().await?;
    Ok(flags)
}

/// Marks one event processed and upserts its signals inside `tx`; false
/// (and nothing written) when it was already processed.
async fn complete_in<D: Db>(
    tx: &mut Tx<D>,
    id: &str,
    outcome: &str,
    signals: &[Signal],
) -> Result<bool, StateError> {
    let marked = tx
        .execute(
            Sql::new(
                "UPDATE events SET processed_at = $1, outcome = $2 WHERE id = $3 AND processed_at IS NULL",
            )
            .bind(millis(Utc::now()))
            .bind(outcome)
            .bind(id),
        )
        .await?;
    if marked != 1 {
        return Ok(false);
    }
    for signal in signals {
        tx.execute(
            Sql::new(
                "INSERT INTO signals (kind, key, value, at, event) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, at = excluded.at,
                    event = excluded.event
                 WHERE excluded.at >= signals.at",
            )
            .bind(signal.kind.as_str())
            .bind(&signal.key)
            .bind(&signal.value)
            .bind(millis(signal.at))
            .bind(&signal.event),
        )
        .await?;
    }
    Ok(true)
}

pub(super) async fn signals<D: Db>(store: &SqlStore<D>) -> Result<Vec<Signal>, StateError> {
    let sql = Sql::new("SELECT kind, key, value, at, event FROM signals ORDER BY at, kind, key");
    store
        .rows(sql, |row| {
            let kind = D::text(row, "kind")?;
            Ok(Signal {
                kind: SignalKind::from_name(&kind).ok_or_else(|| StateError::Corrupt {
                    table: "signals",
                    detail: format!("unknown kind {kind:?}"),
                })?,
                key: D::text(row, "key")?,
                value: D::text(row, "value")?,
                at: from_millis(D::int(row, "at")?),
                event: D::text(row, "event")?,
            })
        })
        .await
}

pub(super) async fn remove_signal<D: Db>(
    store: &SqlStore<D>,
    kind: SignalKind,
    key: &str,
) -> Result<Option<Signal>, StateError> {
    let row = store
        .fetch_optional(
            Sql::new("DELETE FROM signals WHERE kind = $1 AND key = $2 RETURNING value, at, event")
                .bind(kind.as_str())
                .bind(key),
        )
        .await?;
    store.durable().await?;
    row.map(|row| {
        Ok(Signal {
            kind,
            key: key.to_owned(),
            value: D::text(&row, "value")?,
            at: from_millis(D::int(&row, "at")?),
            event: D::text(&row, "event")?,
        })
    })
    .transpose()
}

fn event_from_row<D: Db>(row: &D::Row) -> Result<InboundEvent, StateError> {
    let data = D::text(row, "data")?;
    let occurred = D::opt_int(row, "occurred_at")?;
    Ok(InboundEvent {
        id: D::text(row, "id")?,
        delivery_id: D::opt_text(row, "delivery_id")?,
        kind: D::text(row, "kind")?,
        data: serde_json::from_str(&data).map_err(|e| StateError::Corrupt {
            table: "events",
            detail: e.to_string(),
        })?,
        occurred_at: occurred.map(from_millis),
        received_at: from_millis(D::int(row, "received_at")?),
    })
}
