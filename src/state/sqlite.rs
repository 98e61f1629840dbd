//! [`SqliteStore`]: the embedded default state store, one SQLite file.
//!
//! WAL mode, with group commit (see `wal_sync`): a write returns once it is
//! on disk, and concurrent writers share fsyncs. A busy timeout lets several
//! processes (the service and a `tenure rotate` from a shell) share the file. The
//! tables and statements are shared with the PostgreSQL store (see `sql`).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::StateError;
use super::sql::{SCHEMA, db, sql_store};
use super::wal_sync::WalSync;

/// The SQLite state store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// `None` for an in-memory store.
    wal: Option<Arc<WalSync>>,
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
            // Commits reach the WAL; `durable` then syncs it for every
            // writer at once (group commit): as durable as FULL.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await.map_err(db)?;
        }
        let store = Self {
            pool,
            wal: Some(Arc::new(WalSync::new(path))),
        };
        store.durable().await?;
        Ok(store)
    }

    /// Returns once every write committed so far is on disk.
    async fn durable(&self) -> Result<(), StateError> {
        match &self.wal {
            Some(wal) => wal.sync().await,
            None => Ok(()),
        }
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
        Ok(Self { pool, wal: None })
    }
}

sql_store!(SqliteStore, sqlx::Sqlite, sqlx::sqlite::SqliteRow);

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use tenure_plugin_api::SecretAddress;

    use super::*;
    use crate::state::sql::from_millis;
    use crate::state::{
        InboundEvent, Intake, Phase, Run, RunKind, SecretState, Signal, SignalKind, StateStore,
    };

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
