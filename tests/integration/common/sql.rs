//! The SQL servers of scripts/services from a test's side: the PostgreSQL
//! admin URL, a database of a test's own, statements run as the admin,
//! fresh logins, and a proxy in front of a server.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool};

use super::proxy::Proxy;

/// The admin URL of the PostgreSQL of scripts/services; `None` (or a panic
/// under CI=true) when it is not running.
pub fn pg_admin_url() -> Option<String> {
    tenure_testkit::service_url("TENURE_TEST_PG_URL")
}

/// `url` with its database replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

/// A new database `<prefix>_<uuid>` on the server of `admin`: the admin
/// pool, the database's name and its URL.
pub async fn new_database(admin: &str, prefix: &str) -> (PgPool, String, String) {
    let db = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let pool = PgPool::connect(admin).await.expect("admin");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .expect("create db");
    let url = with_database(admin, &db);
    (pool, db, url)
}

/// Runs `statement` (one or several) on `executor`; a failure panics.
pub async fn run_sql<'e, E: sqlx::Executor<'e>>(executor: E, statement: &'e str) {
    sqlx::raw_sql(statement)
        .execute(executor)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// Whether the PostgreSQL role `role` may log in.
pub async fn can_login(pool: &PgPool, role: &str) -> bool {
    sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
        .bind(role)
        .fetch_one(pool)
        .await
        .expect("role")
}

/// A fresh login with `options`, closed again.
async fn fresh_login<C: sqlx::Connection>(options: &C::Options) -> Result<(), sqlx::Error> {
    let connection = C::connect_with(options).await?;
    let _ = connection.close().await;
    Ok(())
}

/// A fresh login with `options`: `Ok`, or the SQLSTATE the server refused
/// it with (any other failure: its text).
pub async fn login<C: sqlx::Connection>(options: &C::Options) -> Result<(), String> {
    fresh_login::<C>(options).await.map_err(|err| match err {
        sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()).unwrap_or_default(),
        other => other.to_string(),
    })
}

/// Whether a fresh login with `options` gets in; a failure other than the
/// server's refusal panics.
pub async fn logs_in<C: sqlx::Connection>(options: &C::Options) -> bool {
    match fresh_login::<C>(options).await {
        Ok(()) => true,
        Err(sqlx::Error::Database(_)) => false,
        Err(other) => panic!("{other}"),
    }
}

/// A proxy in front of the PostgreSQL or MariaDB server of `url` (where
/// `host:port` is its address), and `url` going through it.
pub async fn proxied(url: &str, host: &str, port: u16) -> (Proxy, String) {
    let server = format!("{host}:{port}");
    let proxy = Proxy::start_to(server.parse().expect("addr")).await;
    let through = url.replacen(&server, &proxy.addr.to_string(), 1);
    (proxy, through)
}

/// The host and port of a PostgreSQL URL.
pub fn pg_address(url: &str) -> (String, u16) {
    let options = PgConnectOptions::from_str(url).expect("url");
    (options.get_host().to_owned(), options.get_port())
}

/// A PostgreSQL role that can log in, on the server at `url`.
pub struct PgRole {
    /// The admin pool.
    pub pool: PgPool,
    /// The role's name (`<prefix>_<unique>`).
    pub name: String,
    /// Its login options.
    pub login: PgConnectOptions,
    password: String,
}

impl PgRole {
    /// Creates the role with `password` and checks that it logs in.
    pub async fn create(url: &str, prefix: &str, password: &str) -> Self {
        let name = tenure_testkit::unique_name(prefix);
        let pool = PgPool::connect(url).await.expect("admin");
        run_sql(
            &pool,
            &format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"),
        )
        .await;
        let options = PgConnectOptions::from_str(url)
            .expect("url")
            .username(&name)
            .password(password);
        assert_eq!(login::<sqlx::PgConnection>(&options).await, Ok(()));
        Self {
            pool,
            name,
            login: options,
            password: password.to_owned(),
        }
    }

    /// Stores the role's login in the local vault of the config at
    /// `config`, at `db/<name>`, owned by `owner`; its address.
    pub fn put_in_local_vault(&self, config: &std::path::Path, owner: &str) -> String {
        let value = serde_json::json!({
            "username": self.name, "password": self.password,
            "host": self.login.get_host(), "port": self.login.get_port(), "dbname": "postgres",
        });
        let path = format!("db/{}", self.name);
        let put = super::with_stdin(
            super::tenure(config, &["local", "put", &path, "--owner", owner]),
            &value.to_string(),
        );
        assert!(put.status.success(), "{}", super::stderr(&put));
        format!("local:{path}")
    }

    /// Drops the role.
    pub async fn drop(self) {
        run_sql(&self.pool, &format!("DROP ROLE IF EXISTS {}", self.name)).await;
    }
}
