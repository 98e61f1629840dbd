//! [`SqliteStore`]: the embedded default state store, one SQLite file.
//!
//! WAL mode with full sync, and a busy timeout so several processes (the
//! service and a `tenure rotate` from a shell) can share the file.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use tenure_plugin_api::SecretAddress;

use super::{
    InboundEvent, Intake, Phase, QueueItem, Run, RunKind, RunStatus, SecretState, Signal,
    SignalKind, StateError, StateStore,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        kind TEXT NOT NULL,
        phase TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT,
        reasons TEXT NOT NULL,
        record TEXT,
        target TEXT,
        pending_version TEXT,
        previous_version TEXT,
        not_before INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        seq INTEGER NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS runs_active ON runs (status, created_at)",
    "CREATE INDEX IF NOT EXISTS runs_secret ON runs (secret, created_at)",
    "CREATE TABLE IF NOT EXISTS leases (
        secret TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS queue (
        secret TEXT PRIMARY KEY,
        due INTEGER NOT NULL,
        reason TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS queue_due ON queue (due)",
    "CREATE TABLE IF NOT EXISTS secret_state (
        secret TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        quarantined INTEGER NOT NULL,
        last_error TEXT,
        last_rotated_at INTEGER,
        revoked_at INTEGER,
        last_decision TEXT
    )",
    "CREATE TABLE IF NOT EXISTS events (
        id TEXT PRIMARY KEY,
        delivery_id TEXT UNIQUE,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        occurred_at INTEGER,
        received_at INTEGER NOT NULL,
        processed_at INTEGER,
        outcome TEXT
    )",
    "CREATE INDEX IF NOT EXISTS events_pending ON events (processed_at, received_at)",
    "CREATE TABLE IF NOT EXISTS notifications (
        key TEXT PRIMARY KEY,
        at INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS signals (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    )",
];

fn db(err: sqlx::Error) -> StateError {
    StateError::Database(err.to_string())
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The SQLite state store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and applies the schema.
    pub async fn open(path: &Path) -> Result<Self, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StateError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await.map_err(db)?;
        }
        Ok(Self { pool })
    }

    /// An in-memory store, for tests.
    pub async fn in_memory() -> Result<Self, StateError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(db)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(db)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await.map_err(db)?;
        }
        Ok(Self { pool })
    }
}

fn corrupt(detail: impl Into<String>) -> StateError {
    StateError::Corrupt {
        table: "runs",
        detail: detail.into(),
    }
}

fn run_from_row(row: &SqliteRow) -> Result<Run, StateError> {
    let get_text = |name: &str| row.try_get::<String, _>(name).map_err(db);
    let secret: SecretAddress = get_text("secret")?
        .parse()
        .map_err(|e| corrupt(format!("secret: {e}")))?;
    let kind = RunKind::from_name(&get_text("kind")?).ok_or_else(|| corrupt("kind"))?;
    let phase = Phase::from_name(&get_text("phase")?).ok_or_else(|| corrupt("phase"))?;
    let status = RunStatus::from_name(&get_text("status")?).ok_or_else(|| corrupt("status"))?;
    let reasons: Vec<String> = serde_json::from_str(&get_text("reasons")?)
        .map_err(|e| corrupt(format!("reasons: {e}")))?;
    Ok(Run {
        id: get_text("id")?,
        secret,
        kind,
        phase,
        status,
        attempts: row
            .try_get::<i64, _>("attempts")
            .map_err(db)?
            .try_into()
            .unwrap_or(u32::MAX),
        last_error: row.try_get("last_error").map_err(db)?,
        reasons,
        record: row.try_get("record").map_err(db)?,
        target: row.try_get("target").map_err(db)?,
        pending_version: row.try_get("pending_version").map_err(db)?,
        previous_version: row.try_get("previous_version").map_err(db)?,
        not_before: from_millis(row.try_get("not_before").map_err(db)?),
        created_at: from_millis(row.try_get("created_at").map_err(db)?),
        updated_at: from_millis(row.try_get("updated_at").map_err(db)?),
        seq: row.try_get("seq").map_err(db)?,
    })
}

fn reasons_json(run: &Run) -> String {
    serde_json::to_string(&run.reasons).unwrap_or_else(|_| "[]".into())
}

#[async_trait::async_trait]
impl StateStore for SqliteStore {
    async fn insert_run(&self, run: &Run) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO runs (id, secret, kind, phase, status, attempts, last_error, reasons, record,
                target, pending_version, previous_version, not_before, created_at, updated_at, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&run.id)
        .bind(run.secret.to_string())
        .bind(run.kind.as_str())
        .bind(run.phase.as_str())
        .bind(run.status.as_str())
        .bind(i64::from(run.attempts))
        .bind(&run.last_error)
        .bind(reasons_json(run))
        .bind(&run.record)
        .bind(&run.target)
        .bind(&run.pending_version)
        .bind(&run.previous_version)
        .bind(millis(run.not_before))
        .bind(millis(run.created_at))
        .bind(millis(run.updated_at))
        .bind(run.seq)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn update_run(&self, run: &mut Run) -> Result<(), StateError> {
        let result = sqlx::query(
            "UPDATE runs SET phase = ?, status = ?, attempts = ?, last_error = ?, pending_version = ?,
                previous_version = ?, not_before = ?, updated_at = ?, seq = seq + 1
             WHERE id = ? AND seq = ?",
        )
        .bind(run.phase.as_str())
        .bind(run.status.as_str())
        .bind(i64::from(run.attempts))
        .bind(&run.last_error)
        .bind(&run.pending_version)
        .bind(&run.previous_version)
        .bind(millis(run.not_before))
        .bind(millis(run.updated_at))
        .bind(&run.id)
        .bind(run.seq)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if result.rows_affected() != 1 {
            return Err(StateError::Conflict {
                run: run.id.clone(),
            });
        }
        run.seq += 1;
        Ok(())
    }

    async fn get_run(&self, id: &str) -> Result<Option<Run>, StateError> {
        let row = sqlx::query("SELECT * FROM runs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn active_runs(&self) -> Result<Vec<Run>, StateError> {
        let rows =
            sqlx::query("SELECT * FROM runs WHERE status = 'active' ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(run_from_row).collect()
    }

    async fn runs_for(&self, secret: &SecretAddress, limit: u32) -> Result<Vec<Run>, StateError> {
        let rows =
            sqlx::query("SELECT * FROM runs WHERE secret = ? ORDER BY created_at DESC, id LIMIT ?")
                .bind(secret.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter().map(run_from_row).collect()
    }

    async fn try_lease(
        &self,
        secret: &SecretAddress,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let now = Utc::now();
        let expires = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
        let result = sqlx::query(
            "INSERT INTO leases (secret, holder, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (secret) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
        )
        .bind(secret.to_string())
        .bind(holder)
        .bind(millis(expires))
        .bind(millis(now))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn lease_holder(&self, secret: &SecretAddress) -> Result<Option<String>, StateError> {
        sqlx::query_scalar("SELECT holder FROM leases WHERE secret = ?")
            .bind(secret.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn take_over_lease(
        &self,
        secret: &SecretAddress,
        from: &str,
        to: &str,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let expires =
            Utc::now() + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
        let result = sqlx::query(
            "UPDATE leases SET holder = ?, expires_at = ? WHERE secret = ? AND holder = ?",
        )
        .bind(to)
        .bind(millis(expires))
        .bind(secret.to_string())
        .bind(from)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn release_lease(&self, secret: &SecretAddress, holder: &str) -> Result<(), StateError> {
        sqlx::query("DELETE FROM leases WHERE secret = ? AND holder = ?")
            .bind(secret.to_string())
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn enqueue(
        &self,
        secret: &SecretAddress,
        due: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO queue (secret, due, reason) VALUES (?, ?, ?)
             ON CONFLICT (secret) DO UPDATE SET due = excluded.due, reason = excluded.reason
             WHERE excluded.due < queue.due",
        )
        .bind(secret.to_string())
        .bind(millis(due))
        .bind(reason)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<QueueItem>, StateError> {
        let rows = sqlx::query(
            "SELECT secret, due, reason FROM queue WHERE due <= ? ORDER BY due, secret LIMIT ?",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let secret: String = row.try_get("secret").map_err(db)?;
                Ok(QueueItem {
                    secret: secret.parse().map_err(|e| StateError::Corrupt {
                        table: "queue",
                        detail: format!("secret: {e}"),
                    })?,
                    due: from_millis(row.try_get("due").map_err(db)?),
                    reason: row.try_get("reason").map_err(db)?,
                })
            })
            .collect()
    }

    async fn dequeue(&self, secret: &SecretAddress) -> Result<(), StateError> {
        sqlx::query("DELETE FROM queue WHERE secret = ?")
            .bind(secret.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn secret_state(&self, secret: &SecretAddress) -> Result<SecretState, StateError> {
        let row = sqlx::query("SELECT * FROM secret_state WHERE secret = ?")
            .bind(secret.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref()
            .map_or(Ok(SecretState::default()), state_from_row)
    }

    async fn secret_states(&self) -> Result<HashMap<String, SecretState>, StateError> {
        let rows = sqlx::query("SELECT * FROM secret_state")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("secret").map_err(db)?,
                    state_from_row(row)?,
                ))
            })
            .collect()
    }

    async fn put_secret_state(
        &self,
        secret: &SecretAddress,
        state: &SecretState,
    ) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO secret_state (secret, failures, quarantined, last_error, last_rotated_at, revoked_at, last_decision)
             VALUES (?, ?, ?, ?, ?, ?, ?)
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
        .bind(&state.last_decision)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn insert_event(&self, event: &InboundEvent) -> Result<Intake, StateError> {
        let data = serde_json::to_string(&event.data)
            .map_err(|e| StateError::Database(format!("event data: {e}")))?;
        let result = sqlx::query(
            "INSERT INTO events (id, delivery_id, kind, data, occurred_at, received_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&event.id)
        .bind(&event.delivery_id)
        .bind(&event.kind)
        .bind(data)
        .bind(event.occurred_at.map(millis))
        .bind(millis(event.received_at))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(if result.rows_affected() == 1 {
            Intake::Stored
        } else {
            Intake::Duplicate
        })
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<InboundEvent>, StateError> {
        let rows = sqlx::query(
            "SELECT id, delivery_id, kind, data, occurred_at, received_at FROM events
             WHERE processed_at IS NULL ORDER BY received_at, id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn complete_event(
        &self,
        id: &str,
        outcome: &str,
        signals: &[Signal],
    ) -> Result<bool, StateError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let done = complete_in(&mut tx, id, outcome, signals).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    async fn complete_events(
        &self,
        done: &[(String, &'static str, Vec<Signal>)],
    ) -> Result<Vec<bool>, StateError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut flags = Vec::with_capacity(done.len());
        for (id, outcome, signals) in done {
            flags.push(complete_in(&mut tx, id, outcome, signals).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(flags)
    }

    async fn signals(&self) -> Result<Vec<Signal>, StateError> {
        let rows =
            sqlx::query("SELECT kind, key, value, at, event FROM signals ORDER BY at, kind, key")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind").map_err(db)?;
                Ok(Signal {
                    kind: SignalKind::from_name(&kind).ok_or_else(|| StateError::Corrupt {
                        table: "signals",
                        detail: format!("unknown kind {kind:?}"),
                    })?,
                    key: row.try_get("key").map_err(db)?,
                    value: row.try_get("value").map_err(db)?,
                    at: from_millis(row.try_get("at").map_err(db)?),
                    event: row.try_get("event").map_err(db)?,
                })
            })
            .collect()
    }

    async fn mark_notified(&self, key: &str) -> Result<bool, StateError> {
        let result =
            sqlx::query("INSERT INTO notifications (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING")
                .bind(key)
                .bind(millis(Utc::now()))
                .execute(&self.pool)
                .await
                .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn ping(&self) -> Result<(), StateError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// Marks one event processed and upserts its signals inside `tx`; false
/// (and nothing written) when it was already processed.
async fn complete_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    outcome: &str,
    signals: &[Signal],
) -> Result<bool, StateError> {
    let marked = sqlx::query(
        "UPDATE events SET processed_at = ?, outcome = ? WHERE id = ? AND processed_at IS NULL",
    )
    .bind(millis(Utc::now()))
    .bind(outcome)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    if marked.rows_affected() != 1 {
        return Ok(false);
    }
    for signal in signals {
        sqlx::query(
            "INSERT INTO signals (kind, key, value, at, event) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, at = excluded.at,
                event = excluded.event
             WHERE excluded.at >= signals.at",
        )
        .bind(signal.kind.as_str())
        .bind(&signal.key)
        .bind(&signal.value)
        .bind(millis(signal.at))
        .bind(&signal.event)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(true)
}

fn event_from_row(row: &SqliteRow) -> Result<InboundEvent, StateError> {
    let data: String = row.try_get("data").map_err(db)?;
    let occurred: Option<i64> = row.try_get("occurred_at").map_err(db)?;
    Ok(InboundEvent {
        id: row.try_get("id").map_err(db)?,
        delivery_id: row.try_get("delivery_id").map_err(db)?,
        kind: row.try_get("kind").map_err(db)?,
        data: serde_json::from_str(&data).map_err(|e| StateError::Corrupt {
            table: "events",
            detail: e.to_string(),
        })?,
        occurred_at: occurred.map(from_millis),
        received_at: from_millis(row.try_get("received_at").map_err(db)?),
    })
}

fn state_from_row(row: &SqliteRow) -> Result<SecretState, StateError> {
    Ok(SecretState {
        failures: row
            .try_get::<i64, _>("failures")
            .map_err(db)?
            .try_into()
            .unwrap_or(u32::MAX),
        quarantined: row.try_get("quarantined").map_err(db)?,
        last_error: row.try_get("last_error").map_err(db)?,
        last_rotated_at: row
            .try_get::<Option<i64>, _>("last_rotated_at")
            .map_err(db)?
            .map(from_millis),
        revoked_at: row
            .try_get::<Option<i64>, _>("revoked_at")
            .map_err(db)?
            .map(from_millis),
        last_decision: row.try_get("last_decision").map_err(db)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(path: &str) -> SecretAddress {
        SecretAddress::new("local", path).expect("address")
    }

    #[tokio::test]
    async fn runs_update_with_compare_and_swap() {
        let store = SqliteStore::in_memory().await.expect("store");
        let mut run = Run::new(
            address("a"),
            RunKind::Rotate,
            vec!["max_age_exceeded".into()],
            None,
            None,
            Utc::now(),
        );
        store.insert_run(&run).await.expect("insert");
        let mut stale = run.clone();
        run.phase = Phase::SetInTarget;
        store.update_run(&mut run).await.expect("update");
        stale.phase = Phase::Test;
        assert!(matches!(
            store.update_run(&mut stale).await,
            Err(StateError::Conflict { .. })
        ));
        let stored = store.get_run(&run.id).await.expect("get").expect("exists");
        assert_eq!(stored.phase, Phase::SetInTarget);
        assert_eq!(stored, run);
        assert_eq!(store.active_runs().await.expect("active").len(), 1);
    }

    #[tokio::test]
    async fn a_lease_has_one_holder_until_it_expires() {
        let store = SqliteStore::in_memory().await.expect("store");
        let secret = address("a");
        assert!(
            store
                .try_lease(&secret, "one", Duration::from_secs(60))
                .await
                .expect("lease")
        );
        assert!(
            store
                .try_lease(&secret, "one", Duration::from_secs(60))
                .await
                .expect("renew")
        );
        assert!(
            !store
                .try_lease(&secret, "two", Duration::from_secs(60))
                .await
                .expect("lease")
        );
        store.release_lease(&secret, "one").await.expect("release");
        assert!(
            store
                .try_lease(&secret, "two", Duration::ZERO)
                .await
                .expect("lease")
        );
        // An expired lease can be taken over.
        assert!(
            store
                .try_lease(&secret, "three", Duration::from_secs(60))
                .await
                .expect("lease")
        );
    }

    #[tokio::test]
    async fn the_queue_keeps_one_entry_per_secret_at_the_earliest_time() {
        let store = SqliteStore::in_memory().await.expect("store");
        let now = Utc::now();
        let secret = address("a");
        store
            .enqueue(&secret, now + chrono::TimeDelta::hours(1), "cron")
            .await
            .expect("enqueue");
        store
            .enqueue(&secret, now - chrono::TimeDelta::seconds(1), "event")
            .await
            .expect("enqueue");
        store
            .enqueue(&secret, now + chrono::TimeDelta::hours(2), "later")
            .await
            .expect("enqueue");
        let due = store.due(now, 10).await.expect("due");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].reason, "event");
        store.dequeue(&secret).await.expect("dequeue");
        assert!(store.due(now, 10).await.expect("due").is_empty());
    }

    #[tokio::test]
    async fn secret_state_round_trips() {
        let store = SqliteStore::in_memory().await.expect("store");
        let secret = address("a");
        assert_eq!(
            store.secret_state(&secret).await.expect("get"),
            SecretState::default()
        );
        let state = SecretState {
            failures: 2,
            quarantined: true,
            last_error: Some("boom".into()),
            last_rotated_at: Some(from_millis(1_700_000_000_000)),
            revoked_at: None,
            last_decision: Some("rotate:max_age_exceeded".into()),
        };
        store.put_secret_state(&secret, &state).await.expect("put");
        assert_eq!(store.secret_state(&secret).await.expect("get"), state);
        assert_eq!(store.secret_states().await.expect("all").len(), 1);
    }

    fn event(id: &str, delivery: &str) -> InboundEvent {
        InboundEvent {
            id: id.into(),
            delivery_id: Some(delivery.into()),
            kind: "io.tenure.owner.left".into(),
            data: serde_json::json!({ "owner": "dana@example.com" }),
            occurred_at: None,
            received_at: from_millis(1_700_000_000_000),
        }
    }

    #[tokio::test]
    async fn events_are_stored_once_and_completed_once() {
        let store = SqliteStore::in_memory().await.expect("store");
        assert_eq!(
            store
                .insert_event(&event("s 1", "msg_1"))
                .await
                .expect("insert"),
            Intake::Stored
        );
        assert_eq!(
            store
                .insert_event(&event("s 1", "msg_2"))
                .await
                .expect("insert"),
            Intake::Duplicate
        );
        assert_eq!(
            store
                .insert_event(&event("s 2", "msg_1"))
                .await
                .expect("insert"),
            Intake::Duplicate
        );
        let pending = store.pending_events(10).await.expect("pending");
        assert_eq!(pending, vec![event("s 1", "msg_1")]);
        let signal = |value: &str, at: i64| Signal {
            kind: SignalKind::OwnerStatus,
            key: "dana@example.com".into(),
            value: value.into(),
            at: from_millis(at),
            event: "s 1".into(),
        };
        assert!(
            store
                .complete_event("s 1", "applied", &[signal("left", 2_000)])
                .await
                .expect("complete")
        );
        assert!(
            !store
                .complete_event("s 1", "applied", &[signal("active", 3_000)])
                .await
                .expect("again")
        );
        assert!(store.pending_events(10).await.expect("pending").is_empty());
        assert_eq!(
            store.signals().await.expect("signals"),
            vec![signal("left", 2_000)]
        );

        // A later signal for the same fact replaces it; an older one does not.
        store
            .insert_event(&event("s 3", "msg_3"))
            .await
            .expect("insert");
        store
            .insert_event(&event("s 4", "msg_4"))
            .await
            .expect("insert");
        let mut older = signal("active", 1_000);
        older.event = "s 3".into();
        assert!(
            store
                .complete_event("s 3", "applied", &[older])
                .await
                .expect("complete")
        );
        assert_eq!(
            store.signals().await.expect("signals"),
            vec![signal("left", 2_000)]
        );
        let mut newer = signal("active", 5_000);
        newer.event = "s 4".into();
        assert!(
            store
                .complete_event("s 4", "applied", std::slice::from_ref(&newer))
                .await
                .expect("complete")
        );
        assert_eq!(store.signals().await.expect("signals"), vec![newer]);
        store.ping().await.expect("ping");
        assert!(store.mark_notified("expiry:a:1").await.expect("mark"));
        assert!(!store.mark_notified("expiry:a:1").await.expect("mark again"));
    }
}
