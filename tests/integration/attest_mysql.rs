//! Attestation against a real MariaDB behind a proxy that can stop: drift
//! made by hand is found and repaired in one pass. (One password per
//! account: a retired password set back by hand makes the current one
//! fail, which the "password changed by hand" scenario covers.)

use std::str::FromStr;

use serde_json::{Value, json};
use sqlx::MySqlConnection;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, Server, scenarios};
use crate::common::sql::{logs_in, proxied, run_sql};

struct Maria {
    url: String,
    pool: MySqlPool,
    user: String,
    db: String,
}

impl Maria {
    async fn sql(&self, statement: &str) {
        run_sql(&self.pool, statement).await;
    }

    fn account(&self) -> String {
        format!("'{}'@'%'", self.user)
    }

    /// `GRANT <privilege> ON <db>.orders TO` the account (or `REVOKE ...
    /// FROM` it).
    async fn on_orders(&self, verb: &str, privilege: &str, to: &str) {
        let (db, account) = (&self.db, self.account());
        self.sql(&format!("{verb} {privilege} ON {db}.orders {to} {account}"))
            .await;
    }
}

#[async_trait::async_trait]
impl Server for Maria {
    async fn change_password(&self) {
        self.sql(&format!(
            "ALTER USER {} IDENTIFIED BY 'changed-by-hand'",
            self.account()
        ))
        .await;
    }
    async fn grant_extra(&self) {
        self.on_orders("GRANT", "INSERT", "TO").await;
    }
    async fn holds_extra(&self) -> bool {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE = 'INSERT'",
        )
        .bind(format!("'{}'@'%'", self.user))
        .fetch_one(&self.pool)
        .await
        .expect("grants");
        n > 0
    }
    async fn remove_approved(&self) {
        self.on_orders("REVOKE", "SELECT", "FROM").await;
    }
    async fn restore_approved(&self) {
        self.on_orders("GRANT", "SELECT", "TO").await;
    }
    async fn reenable(&self) {
        self.sql(&format!("ALTER USER {} ACCOUNT UNLOCK", self.account()))
            .await;
    }
    async fn enabled(&self) -> bool {
        let locked: String = sqlx::query_scalar(
            "SELECT CONVERT(COALESCE(JSON_VALUE(Priv, '$.account_locked'), 'false') USING utf8mb4)
             FROM mysql.global_priv WHERE User = ? AND Host = '%'",
        )
        .bind(&self.user)
        .fetch_one(&self.pool)
        .await
        .expect("account");
        !matches!(locked.as_str(), "true" | "1")
    }
    async fn logs_in(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).expect("json");
        let admin = MySqlConnectOptions::from_str(&self.url).expect("url");
        let options = MySqlConnectOptions::new()
            .host(admin.get_host())
            .port(admin.get_port())
            .username(value["username"].as_str().expect("username"))
            .password(value["password"].as_str().expect("password"));
        logs_in::<MySqlConnection>(&options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_drift_is_found_and_repaired() {
    let Some(url) = service_url("TENURE_TEST_MYSQL_URL") else {
        return;
    };
    let pool = MySqlPool::connect(&url).await.expect("admin");
    let maria = Maria {
        url: url.clone(),
        pool,
        user: unique_name("drift_my"),
        db: unique_name("drift_db"),
    };
    maria.sql(&format!("CREATE DATABASE {}", maria.db)).await;
    maria
        .sql(&format!("CREATE TABLE {}.orders (id int)", maria.db))
        .await;
    maria
        .sql(&format!(
            "CREATE USER {} IDENTIFIED BY 'initial-password'",
            maria.account()
        ))
        .await;
    maria.restore_approved().await;

    let options = MySqlConnectOptions::from_str(&url).expect("url");
    let (proxy, admin) = proxied(&url, options.get_host(), options.get_port()).await;
    let path = format!("db/{}", maria.user);
    let config = common::drift::config(
        &path,
        "maria",
        "type = \"mysql\"\nadmin_url = { env = \"DRIFT_MYSQL_ADMIN_URL\" }\nconnect_timeout = \"3s\"",
        &maria.user,
        &[format!("SELECT ON {}.orders", maria.db)],
    );
    let bed = Bed::new(&config, &[("DRIFT_MYSQL_ADMIN_URL", admin.as_str())]);
    bed.put(
        &path,
        &json!({
            "username": maria.user, "password": "initial-password",
            "host": "127.0.0.1", "port": proxy.addr.port(),
        })
        .to_string(),
    )
    .await;
    scenarios(&bed, &maria, &proxy, &path).await;
}
