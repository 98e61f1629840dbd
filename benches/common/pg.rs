//! The PostgreSQL side of the benchmarks: login roles to act on, the
//! credentials naming them, and Tenure opened on a bench config, rotating
//! through its engine as `tenure` does.

use std::sync::Arc;

use futures_util::StreamExt;
use sqlx::postgres::{PgConnectOptions, PgPool};
use tenure::governance::Record;
use tenure::state::RunKind;
use tenure_plugin_api::{Provider, SecretAddress, SecretValue};

/// Creates (or resets) `count` login roles `<prefix><i>`, each with the
/// password `initial-password`.
pub async fn login_roles(admin: &PgPool, prefix: &str, count: usize) {
    let setup = format!(
        "DO $$ BEGIN FOR i IN 0..{} LOOP
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{prefix}' || i) THEN
             EXECUTE format('CREATE ROLE %I LOGIN', '{prefix}' || i);
           END IF;
           EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', '{prefix}' || i, 'initial-password');
         END LOOP; END $$",
        count - 1
    );
    sqlx::raw_sql(&setup).execute(admin).await.expect("roles");
}

/// The credential of the role `username` with `password` on the server of
/// `options`, as Tenure stores it.
pub fn credential(options: &PgConnectOptions, username: &str, password: &str) -> SecretValue {
    SecretValue::new(format!(
        r#"{{"username":"{username}","password":"{password}","host":"{}","port":{}}}"#,
        options.get_host(),
        options.get_port()
    ))
}

/// Stores `value(i)` as the current value of `<prefix><i>` for each of
/// `count`, one after the other.
pub async fn put_each(
    vault: &dyn Provider,
    prefix: &str,
    count: usize,
    value: impl Fn(usize) -> SecretValue,
) {
    for i in 0..count {
        vault
            .put_current(&format!("{prefix}{i}"), &value(i), &Default::default())
            .await
            .expect("put");
    }
}

/// Tenure opened on `config` (written as `tenure.toml` in a temp folder,
/// which holds its state too).
pub async fn open_app(config: &str) -> (tempfile::TempDir, tenure::app::App) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("tenure.toml");
    std::fs::write(&config_path, config).expect("config");
    let config = tenure::config::load(&config_path).expect("config");
    let app = tenure::app::open(config).await.expect("app");
    (dir, app)
}

/// Rotates `<prefix><i>` for each of `count` through the engine,
/// `concurrency` at once, as `tenure` does; whether each succeeded.
pub async fn rotate_each(
    app: &tenure::app::App,
    record: &Record,
    prefix: &str,
    count: usize,
    concurrency: usize,
) -> Vec<bool> {
    futures_util::stream::iter(0..count)
        .map(|i| {
            let (app, record) = (Arc::clone(app.reconciler()), record.clone());
            async move {
                let address: SecretAddress = format!("{prefix}{i}").parse().expect("address");
                app.engine()
                    .start(
                        &address,
                        RunKind::Rotate,
                        vec!["bench".into()],
                        Some(&record),
                    )
                    .await
                    .expect("engine")
                    .is_success()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await
}
