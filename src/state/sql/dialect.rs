//! The seam between the generic store and sqlx: [`Dialect`] (what differs
//! between the two drivers) and [`Db`] (the few operations the store runs:
//! execute, fetch, begin and commit, read one column), implemented once for
//! every database whose driver binds and reads the store's types.
//!
//! Statements are plain text with `$n` placeholders and `ON CONFLICT` /
//! `RETURNING`, which SQLite and PostgreSQL both accept, and arguments are
//! [`Arg`]s, so the store's own code needs no sqlx trait bounds: they are
//! written once, on the blanket implementation of [`Db`].

use std::future::Future;

use sqlx::query::Query;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row as _, Transaction,
    Type,
};

use super::db;
use crate::state::StateError;

/// What differs between the backends' sqlx drivers.
pub trait Dialect: Database {
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// One argument of a statement, typed as the store binds it (a `NULL` keeps
/// its type, so PostgreSQL sees `text` or `bigint`, never `unknown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `TEXT`.
    Text(String),
    /// `TEXT` or `NULL`.
    OptText(Option<String>),
    /// `BIGINT`.
    Int(i64),
    /// `BIGINT` or `NULL`.
    OptInt(Option<i64>),
    /// `BOOLEAN`.
    Bool(bool),
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Self::OptText(value)
    }
}

impl From<&Option<String>> for Arg {
    fn from(value: &Option<String>) -> Self {
        Self::OptText(value.clone())
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Self::OptInt(value)
    }
}

impl From<bool> for Arg {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// One statement and its arguments, in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    text: &'static str,
    args: Vec<Arg>,
}

impl Sql {
    /// A statement with no arguments yet.
    pub fn new(text: &'static str) -> Self {
        Self {
            text,
            args: Vec::new(),
        }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, arg: impl Into<Arg>) -> Self {
        self.args.push(arg.into());
        self
    }
}

/// Where a statement runs: on any pooled connection, or inside a transaction.
pub enum On<'a, D: Database> {
    /// A connection from the pool.
    Pool(&'a Pool<D>),
    /// An open transaction.
    Tx(&'a mut Transaction<'static, D>),
}

/// The operations the store runs, for any database with the store's types.
pub trait Db: Dialect {
    /// Runs `sql`; how many rows it changed.
    fn execute<'a>(
        on: On<'a, Self>,
        sql: Sql,
    ) -> impl Future<Output = Result<u64, StateError>> + Send + 'a;

    /// Runs `sql` on the pool; its first row, if any.
    fn fetch_optional(
        pool: &Pool<Self>,
        sql: Sql,
    ) -> impl Future<Output = Result<Option<Self::Row>, StateError>> + Send + '_;

    /// Runs `sql` on the pool; every row.
    fn fetch_all(
        pool: &Pool<Self>,
        sql: Sql,
    ) -> impl Future<Output = Result<Vec<Self::Row>, StateError>> + Send + '_;

    /// Opens a transaction.
    fn begin(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>, StateError>> + Send + '_;

    /// Commits a transaction.
    fn commit(
        tx: Transaction<'static, Self>,
    ) -> impl Future<Output = Result<(), StateError>> + Send;

    /// A `TEXT NOT NULL` column.
    fn text(row: &Self::Row, column: &str) -> Result<String, StateError>;

    /// A nullable `TEXT` column.
    fn opt_text(row: &Self::Row, column: &str) -> Result<Option<String>, StateError>;

    /// A `BIGINT NOT NULL` column.
    fn int(row: &Self::Row, column: &str) -> Result<i64, StateError>;

    /// A nullable `BIGINT` column.
    fn opt_int(row: &Self::Row, column: &str) -> Result<Option<i64>, StateError>;

    /// A `BOOLEAN NOT NULL` column.
    fn boolean(row: &Self::Row, column: &str) -> Result<bool, StateError>;
}

impl<D> Db for D
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    D::Arguments<'static>: IntoArguments<'static, D>,
    for<'a> &'a str: ColumnIndex<D::Row>,
    String: Type<D> + Encode<'static, D> + for<'r> Decode<'r, D>,
    i64: Type<D> + Encode<'static, D> + for<'r> Decode<'r, D>,
    bool: Type<D> + Encode<'static, D> + for<'r> Decode<'r, D>,
    Option<String>: Encode<'static, D>,
    Option<i64>: Encode<'static, D>,
{
    async fn execute(on: On<'_, Self>, sql: Sql) -> Result<u64, StateError> {
        let query = query::<D>(sql);
        let result = match on {
            On::Pool(pool) => query.execute(pool).await,
            On::Tx(tx) => query.execute(&mut **tx).await,
        };
        Ok(D::rows_affected(&result.map_err(db)?))
    }

    async fn fetch_optional(pool: &Pool<Self>, sql: Sql) -> Result<Option<Self::Row>, StateError> {
        query::<D>(sql).fetch_optional(pool).await.map_err(db)
    }

    async fn fetch_all(pool: &Pool<Self>, sql: Sql) -> Result<Vec<Self::Row>, StateError> {
        query::<D>(sql).fetch_all(pool).await.map_err(db)
    }

    async fn begin(pool: &Pool<Self>) -> Result<Transaction<'static, Self>, StateError> {
        pool.begin().await.map_err(db)
    }

    async fn commit(tx: Transaction<'static, Self>) -> Result<(), StateError> {
        tx.commit().await.map_err(db)
    }

    fn text(row: &Self::Row, column: &str) -> Result<String, StateError> {
        row.try_get(column).map_err(db)
    }

    fn opt_text(row: &Self::Row, column: &str) -> Result<Option<String>, StateError> {
        row.try_get(column).map_err(db)
    }

    fn int(row: &Self::Row, column: &str) -> Result<i64, StateError> {
        row.try_get(column).map_err(db)
    }

    fn opt_int(row: &Self::Row, column: &str) -> Result<Option<i64>, StateError> {
        row.try_get(column).map_err(db)
    }

    fn boolean(row: &Self::Row, column: &str) -> Result<bool, StateError> {
        row.try_get(column).map_err(db)
    }
}

/// `sql` as a sqlx query with its arguments bound.
fn query<D>(sql: Sql) -> Query<'static, D, D::Arguments<'static>>
where
    D: Database,
    String: Type<D> + Encode<'static, D>,
    i64: Type<D> + Encode<'static, D>,
    bool: Type<D> + Encode<'static, D>,
    Option<String>: Encode<'static, D>,
    Option<i64>: Encode<'static, D>,
{
    sql.args
        .into_iter()
        .fold(sqlx::query(sql.text), |query, arg| match arg {
            Arg::Text(value) => query.bind(value),
            Arg::OptText(value) => query.bind(value),
            Arg::Int(value) => query.bind(value),
            Arg::OptInt(value) => query.bind(value),
            Arg::Bool(value) => query.bind(value),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_keep_their_order_and_type() {
        let sql = Sql::new("SELECT $1, $2, $3, $4, $5")
            .bind("a")
            .bind(None::<String>)
            .bind(7_i64)
            .bind(None::<i64>)
            .bind(true);
        assert_eq!(
            sql.args,
            vec![
                Arg::Text("a".into()),
                Arg::OptText(None),
                Arg::Int(7),
                Arg::OptInt(None),
                Arg::Bool(true),
            ]
        );
    }
}
