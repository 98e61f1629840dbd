//! [`PgStore`]: the state store for several replicas, in PostgreSQL.
//!
//! The same tables, statements and implementation as the SQLite store (see
//! `sql`); this file holds how PostgreSQL connects and its [`Dialect`].
//! Replicas coordinate through it: per-secret leases with an expiry (a dead
//! replica's secrets are picked up once its leases lapse), runs advanced by
//! compare-and-swap on `seq`, and `INSERT ... ON CONFLICT` for the queue,
//! events and notifications. The schema is created under an advisory lock,
//! so replicas may start together. Every commit is durable by itself, so
//! the store has no group commit.

use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgPoolOptions, PgQueryResult};

use super::StateError;
use super::sql::{Dialect, SCHEMA, SqlStore, db};

/// The PostgreSQL state store.
pub type PgStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

impl SqlStore<Postgres> {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and
    /// applies the schema.
    pub async fn connect(url: &str) -> Result<Self, StateError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| {
                StateError::Database(format!("cannot connect to the PostgreSQL state store: {e}"))
            })?;
        let mut tx = pool.begin().await.map_err(db)?;
        // One replica creates the schema at a time.
        sqlx::query("SELECT pg_advisory_xact_lock(7419252161)")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Self::new(pool, None))
    }
}
