//! [`SqlStore`]: the one implementation of [`StateStore`](super::StateStore)
//! behind both backends, generic over the database ([`Db`]).
//!
//! This module holds the store (a pool, and for SQLite the WAL group commit
//! of `super::wal_sync`) and the few operations every job runs through it;
//! `store` maps each trait method to the module for its job. SQLite and
//! PostgreSQL differ only in how they connect (`super::sqlite`,
//! `super::postgres`) and in what their [`Dialect`] says.

mod approvals;
mod attest;
mod checkpoints;
mod dialect;
mod events;
mod leases;
mod logins;
mod notifications;
mod queue;
mod runs;
mod schema;
mod scim;
mod secret_state;
mod store;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Database, Pool, Transaction};

pub use dialect::{Db, Dialect};
use dialect::{On, Sql};
pub(super) use schema::SCHEMA;

use super::StateError;
use super::wal_sync::WalSync;

/// The state store over the sqlx database `D` (see
/// [`SqliteStore`](super::SqliteStore) and [`PgStore`](super::PgStore)).
#[derive(Debug)]
pub struct SqlStore<D: Database> {
    pool: Pool<D>,
    /// Group commit, when commits are not durable by themselves (SQLite).
    wal: Option<Arc<WalSync>>,
}

impl<D: Database> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            wal: self.wal.clone(),
        }
    }
}

impl<D: Db> SqlStore<D> {
    /// A store over `pool` whose schema is applied; `wal` when a commit
    /// is on disk only once it has synced.
    pub(super) fn new(pool: Pool<D>, wal: Option<WalSync>) -> Self {
        Self {
            pool,
            wal: wal.map(Arc::new),
        }
    }

    /// Returns once every write committed so far is on disk (PostgreSQL
    /// makes every commit durable itself).
    pub(super) async fn durable(&self) -> Result<(), StateError> {
        match &self.wal {
            Some(wal) => wal.sync().await,
            None => Ok(()),
        }
    }

    /// Runs `sql`; how many rows it changed.
    async fn execute(&self, sql: Sql) -> Result<u64, StateError> {
        D::execute(On::Pool(&self.pool), sql).await
    }

    /// Runs `sql`, then waits until it is durable; how many rows it changed.
    async fn write(&self, sql: Sql) -> Result<u64, StateError> {
        let changed = self.execute(sql).await?;
        self.durable().await?;
        Ok(changed)
    }

    /// Runs `sql`; its first row, if any.
    async fn fetch_optional(&self, sql: Sql) -> Result<Option<D::Row>, StateError> {
        D::fetch_optional(&self.pool, sql).await
    }

    /// Runs `sql`; every row, each read by `read`, collected.
    async fn rows<T, C: FromIterator<T>>(
        &self,
        sql: Sql,
        read: impl Fn(&D::Row) -> Result<T, StateError>,
    ) -> Result<C, StateError> {
        D::fetch_all(&self.pool, sql)
            .await?
            .iter()
            .map(read)
            .collect()
    }

    /// Runs `sql`; its first row, if any, read by `read`.
    async fn row<T>(
        &self,
        sql: Sql,
        read: impl FnOnce(&D::Row) -> Result<T, StateError>,
    ) -> Result<Option<T>, StateError> {
        self.fetch_optional(sql)
            .await?
            .as_ref()
            .map(read)
            .transpose()
    }

    /// Opens a transaction; commit it with [`Tx::commit`], then call
    /// [`SqlStore::durable`].
    async fn begin(&self) -> Result<Tx<D>, StateError> {
        Ok(Tx(D::begin(&self.pool).await?))
    }
}

/// An open transaction (rolled back when dropped uncommitted).
struct Tx<D: Database>(Transaction<'static, D>);

impl<D: Db> Tx<D> {
    /// Runs `sql` inside the transaction; how many rows it changed.
    async fn execute(&mut self, sql: Sql) -> Result<u64, StateError> {
        D::execute(On::Tx(&mut self.0), sql).await
    }

    /// Commits.
    async fn commit(self) -> Result<(), StateError> {
        D::commit(self.0).await
    }
}

pub(super) fn db(err: sqlx::Error) -> StateError {
    StateError::Database(err.to_string())
}

/// The JSON text column `column` of a row of `table`, parsed; text that
/// does not parse makes the row corrupt.
fn json_column<D: Db, T: DeserializeOwned>(
    row: &D::Row,
    column: &str,
    table: &'static str,
) -> Result<T, StateError> {
    serde_json::from_str(&D::text(row, column)?).map_err(|e| StateError::Corrupt {
        table,
        detail: e.to_string(),
    })
}

/// `value` as JSON text, for the column `column`.
fn json_text(value: &impl Serialize, column: &str) -> Result<String, StateError> {
    serde_json::to_string(value).map_err(|e| StateError::Database(format!("{column}: {e}")))
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A count as stored (`BIGINT`), saturating.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
