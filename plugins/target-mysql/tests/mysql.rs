//! The mysql target against a real MariaDB (URL in TENURE_TEST_MYSQL_URL, set
//! by scripts/services). With CI=true a missing server fails these tests.
//! This file holds the helpers the modules share; one module per behaviour.

#[path = "mysql/accounts.rs"]
mod accounts;
#[path = "mysql/narrowing.rs"]
mod narrowing;

use std::str::FromStr;

use sqlx::mysql::MySqlConnectOptions;
use sqlx::{Connection, MySqlConnection};
use tenure_plugin_api::{SecretSource, SecretValue};
use tenure_target_mysql::{MysqlConfig, MysqlTarget, RevokeMode};

fn admin_url() -> Option<String> {
    tenure_testkit::service_url("TENURE_TEST_MYSQL_URL")
}

fn unique(prefix: &str) -> String {
    tenure_testkit::unique_name(prefix)
}

fn credential(user: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{user}","password":"{password}","host":"127.0.0.1"}}"#
    ))
}

fn target(revoke: RevokeMode) -> MysqlTarget {
    MysqlTarget::new(
        "mysql",
        MysqlConfig {
            admin_url: SecretSource::Env("TENURE_TEST_MYSQL_URL".into()),
            account_host: "%".into(),
            revoke,
            password_length: 32,
            connect_timeout: std::time::Duration::from_secs(10),
        },
    )
}

fn user_options(url: &str, user: &str, password: &str) -> MySqlConnectOptions {
    let admin = MySqlConnectOptions::from_str(url).expect("url");
    MySqlConnectOptions::new()
        .host(admin.get_host())
        .port(admin.get_port())
        .username(user)
        .password(password)
}

async fn login(url: &str, user: &str, password: &str) -> Result<(), String> {
    let options = user_options(url, user, password);
    match MySqlConnection::connect_with(&options).await {
        Ok(c) => {
            let _ = c.close().await;
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}
