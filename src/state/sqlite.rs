//! [`SqliteStore`]: the embedded default state store, one SQLite file.
//!
//! WAL mode, with group commit (see `wal_sync`): a write returns once it is
//! on disk, and concurrent writers share fsyncs. A busy timeout lets several
//! processes (the service and a `tenure rotate` from a shell) share the file. The
//! tables, statements and implementation are shared with the PostgreSQL store
//! (see `sql`); this file holds how SQLite connects and its [`Dialect`].

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};

use super::StateError;
use super::sql::{Dialect, SCHEMA, SqlStore, db};
use super::wal_sync::WalSync;

/// The SQLite state store.
pub type SqliteStore = SqlStore<Sqlite>;

impl Dialect for Sqlite {
    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Sqlite> {
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
        let store = Self::new(pool, Some(WalSync::new(path)));
        store.durable().await?;
        Ok(store)
    }
}
