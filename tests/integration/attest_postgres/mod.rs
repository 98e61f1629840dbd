//! Attestation against a real PostgreSQL with password authentication (the
//! scram cluster of scripts/services), behind a proxy that can stop. This
//! module holds the server and the bed the tests share; one module per
//! behaviour.

mod drift;
mod refusals;
mod unmanaged;

use std::str::FromStr;

use serde_json::Value;
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, Server, pg_login};
use crate::common::proxy::Proxy;
use crate::common::sql::{logs_in, pg_address, proxied, run_sql};

struct Pg {
    url: String,
    pool: PgPool,
    /// The role holding the privileges (the group, for dual).
    holder: String,
    /// The login roles.
    logins: Vec<String>,
    table: String,
}

impl Pg {
    async fn sql(&self, statement: &str) {
        run_sql(&self.pool, statement).await;
    }

    async fn existing_logins(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)")
            .bind(&self.logins)
            .fetch_all(&self.pool)
            .await
            .expect("roles")
    }

    /// `GRANT <privilege> ON` the table `TO` the holder (or `REVOKE ...
    /// FROM` it).
    async fn on_table(&self, verb: &str, privilege: &str, to: &str) {
        let (table, holder) = (&self.table, &self.holder);
        self.sql(&format!(
            "{verb} {privilege} ON public.{table} {to} {holder}"
        ))
        .await;
    }

    async fn direct_grant(&self, privilege: &str) -> bool {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.role_table_grants
             WHERE grantee = $1 AND table_name = $2 AND privilege_type = $3",
        )
        .bind(&self.holder)
        .bind(&self.table)
        .bind(privilege)
        .fetch_one(&self.pool)
        .await
        .expect("grants");
        n > 0
    }
}

#[async_trait::async_trait]
impl Server for Pg {
    async fn change_password(&self) {
        for role in self.existing_logins().await {
            self.sql(&format!("ALTER ROLE {role} PASSWORD 'changed-by-hand'"))
                .await;
        }
    }
    async fn grant_extra(&self) {
        self.on_table("GRANT", "INSERT", "TO").await;
    }
    async fn holds_extra(&self) -> bool {
        self.direct_grant("INSERT").await
    }
    async fn remove_approved(&self) {
        self.on_table("REVOKE", "SELECT", "FROM").await;
    }
    async fn restore_approved(&self) {
        self.on_table("GRANT", "SELECT", "TO").await;
    }
    async fn reenable(&self) {
        for role in self.existing_logins().await {
            self.sql(&format!("ALTER ROLE {role} LOGIN")).await;
        }
    }
    async fn enabled(&self) -> bool {
        sqlx::query_scalar::<_, bool>(
            "SELECT bool_or(rolcanlogin) FROM pg_roles WHERE rolname = ANY($1)",
        )
        .bind(&self.logins)
        .fetch_one(&self.pool)
        .await
        .expect("rolcanlogin")
    }
    async fn logs_in(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).expect("json");
        let options = PgConnectOptions::from_str(&self.url)
            .expect("url")
            .username(value["username"].as_str().expect("username"))
            .password(value["password"].as_str().expect("password"));
        logs_in::<PgConnection>(&options).await
    }
}

/// A role (single) or a group with two login roles (dual), a table it may
/// read, and a bed whose target reaches them through a proxy.
async fn setup(strategy: &str, extra: &str) -> Option<(Pg, Proxy, Bed, String)> {
    let url = service_url("TENURE_TEST_PG_URL")?;
    let pool = PgPool::connect(&url).await.expect("admin");
    let name = unique_name("drift");
    let table = format!("{name}_data");
    let (holder, login, logins) = match strategy {
        "dual" => (
            name.clone(),
            format!("{name}_a"),
            vec![format!("{name}_a"), format!("{name}_b")],
        ),
        _ => (name.clone(), name.clone(), vec![name.clone()]),
    };
    let pg = Pg {
        url: url.clone(),
        pool,
        holder: holder.clone(),
        logins,
        table: table.clone(),
    };
    if strategy == "dual" {
        pg.sql(&format!("CREATE ROLE {holder} NOLOGIN")).await;
        pg.sql(&format!(
            "CREATE ROLE {login} LOGIN PASSWORD 'initial-password' IN ROLE {holder}"
        ))
        .await;
    } else {
        pg.sql(&format!(
            "CREATE ROLE {login} LOGIN PASSWORD 'initial-password'"
        ))
        .await;
    }
    pg.sql(&format!("CREATE TABLE public.{table} (id int)"))
        .await;
    pg.restore_approved().await;

    let (host, port) = pg_address(&url);
    let (proxy, admin) = proxied(&url, &host, port).await;
    let path = format!("db/{name}");
    let config = common::drift::config(
        &path,
        "pg",
        &format!(
            "type = \"postgres\"\nadmin_url = {{ env = \"DRIFT_PG_ADMIN_URL\" }}\nstrategy = \"{strategy}\"\nconnect_timeout = \"3s\"\n{extra}"
        ),
        &holder,
        &[format!("SELECT ON public.{table}")],
    );
    let bed = Bed::new(&config, &[("DRIFT_PG_ADMIN_URL", admin.as_str())]);
    bed.put(
        &path,
        &pg_login(&login, "initial-password", proxy.addr.port()),
    )
    .await;
    Some((pg, proxy, bed, path))
}
