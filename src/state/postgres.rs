//! [`PgStore`]: the state store for several replicas, in PostgreSQL.
//!
//! The same tables and statements as the SQLite store (see `sql`).
//! Replicas coordinate through it: per-secret leases with an expiry (a dead
//! replica's secrets are picked up once its leases lapse), runs advanced by
//! compare-and-swap on `seq`, and `INSERT ... ON CONFLICT` for the queue,
//! events and notifications. The schema is created under an advisory lock,
//! so replicas may start together.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::StateError;
use super::sql::{SCHEMA, db, sql_store};

/// The PostgreSQL state store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
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
        Ok(Self { pool })
    }
}

impl PgStore {
    /// PostgreSQL makes every commit durable itself.
    async fn durable(&self) -> Result<(), StateError> {
        Ok(())
    }
}

sql_store!(PgStore, sqlx::Postgres, sqlx::postgres::PgRow);
