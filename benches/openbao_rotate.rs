//! Tenure against OpenBao's own database secrets engine, on the same
//! PostgreSQL and the same OpenBao, in one run:
//!
//! - **tenure**: 1,000 PostgreSQL credentials stored in OpenBao KV v2, each
//!   rotated through the whole persisted workflow (stage in KV, ALTER ROLE,
//!   a fresh login with the new password, promote with check-and-set,
//!   retire);
//! - **openbao**: 1,000 static roles of OpenBao's database engine, each
//!   rotated with `database/rotate-role/<name>` (ALTER ROLE and a storage
//!   write; OpenBao does not log in with the new password).
//!
//! Both at the same concurrency; prints both rates and their ratio, and for
//! each side the machine's CPU time per rotation and how many cores were
//! busy (from /proc/stat: every process on the machine, so OpenBao and
//! PostgreSQL count as much as Tenure).
//!
//! Needs TENURE_TEST_VAULT_ADDR, TENURE_TEST_VAULT_TOKEN and
//! TENURE_TEST_PG_URL (scripts/services start; . target/test-services/env).
//! Run: `cargo bench --bench openbao_rotate` (`-- --concurrency N` to change
//! the default of 16). Under `cargo test` it runs 20 credentials as a smoke test.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::cpu::MachineCpu;
use common::pg::{credential, login_roles, open_app, rotate_each};
use futures_util::StreamExt;
use tenure_plugin_api::{SecretAddress, SecretValue, TargetContext};
use vaultrs::api::database::requests::{PostgreSQLConnectionRequest, SetStaticRoleRequest};
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};

const CREDENTIALS: usize = 1_000;
const MOUNT: &str = "tenure-bench-db";

fn env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) => Some(value),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "{name} is not set: run scripts/services start and source target/test-services/env"
            )
        }
        Err(_) => {
            println!(
                "skipped: {name} is not set (scripts/services start; . target/test-services/env)"
            );
            None
        }
    }
}

fn concurrency() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--concurrency")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(16)
}

async fn openbao_engine(
    root: &VaultClient,
    pg: &sqlx::postgres::PgConnectOptions,
    password: &str,
    count: usize,
) {
    if let Err(e) = vaultrs::sys::mount::enable(root, MOUNT, "database", None).await {
        assert!(format!("{e:?}").contains("already in use"), "enable: {e}");
    }
    vaultrs::database::connection::postgres(
        root,
        MOUNT,
        "pg",
        Some(
            PostgreSQLConnectionRequest::builder()
                .plugin_name("postgresql-database-plugin")
                .connection_url(format!(
                    "postgresql://{{{{username}}}}:{{{{password}}}}@{}:{}/postgres?sslmode=disable",
                    pg.get_host(),
                    pg.get_port()
                ))
                .username(pg.get_username())
                .password(password)
                .max_open_connections(64u64)
                .allowed_roles(vec!["*".into()]),
        ),
    )
    .await
    .expect("connection");
    futures_util::stream::iter(0..count)
        .map(|i| async move {
            vaultrs::database::static_role::set(
                root,
                MOUNT,
                &format!("obao_bench_{i}"),
                Some(
                    SetStaticRoleRequest::builder()
                        .db_name("pg")
                        .username(format!("obao_bench_{i}"))
                        .rotation_period("24h"),
                ),
            )
            .await
            .expect("static role");
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let count = if full { CREDENTIALS } else { 20 };
    let concurrency = concurrency();
    let (Some(addr), Some(token), Some(url)) = (
        env("TENURE_TEST_VAULT_ADDR"),
        env("TENURE_TEST_VAULT_TOKEN"),
        env("TENURE_TEST_PG_URL"),
    ) else {
        return;
    };
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    let pg: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
    let password = url
        .strip_prefix("postgres://")
        .and_then(|rest| rest.split_once('@'))
        .and_then(|(credentials, _)| credentials.split_once(':'))
        .map(|(_, password)| password.to_owned())
        .expect("the admin URL holds a password");
    let root = VaultClient::new(
        VaultClientSettingsBuilder::default()
            .address(&addr)
            .token(&token)
            .build()
            .expect("settings"),
    )
    .expect("client");
    login_roles(&admin, "tnr_bench_", count).await;
    login_roles(&admin, "obao_bench_", count).await;
    openbao_engine(&root, &pg, &password, count).await;

    // Tenure: the credentials live in OpenBao KV.
    let (_dir, app) = open_app(&format!(
            "[tenure]\nstate_dir = \"state\"\nconcurrency = {concurrency}\n\
             [providers.vault]\ntype = \"vault\"\naddress = {{ env = \"TENURE_TEST_VAULT_ADDR\" }}\n\
             auth = {{ method = \"token\", token = {{ env = \"TENURE_TEST_VAULT_TOKEN\" }} }}\n\
             prefix = \"tenure-bench\"\n\
             [targets.pg]\ntype = \"postgres\"\nadmin_url = {{ env = \"TENURE_TEST_PG_URL\" }}\n\
             max_admin_connections = {}\n\
             [[records]]\nid = \"bench\"\nsecrets = \"vault:tenure-bench/*\"\ntarget = \"pg\"\n\
             account = \"tnr_bench_*\"\n\
             owner = \"o\"\npurpose = \"bench\"\ngrace = \"0s\"\n\
             approval = {{ by = \"c\", at = 2026-01-01 }}\n",
            concurrency.max(4)
    ))
    .await;
    let (config, plugins) = (app.config(), app.plugins().clone());
    let vault = Arc::clone(plugins.provider("vault").expect("vault"));
    futures_util::stream::iter(0..count)
        .map(|i| {
            let (vault, pg) = (Arc::clone(&vault), pg.clone());
            async move {
                let value = credential(&pg, &format!("tnr_bench_{i}"), "initial-password");
                vault
                    .put_current(&format!("tenure-bench/{i}"), &value, &Default::default())
                    .await
                    .expect("seed");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let record = config.governance.records.first().expect("record").clone();

    println!(
        "{count} PostgreSQL credentials (scram-sha-256) at concurrency {concurrency}, OpenBao {addr}"
    );
    let cpu = MachineCpu::now();
    let started = Instant::now();
    let outcomes = rotate_each(&app, &record, "vault:tenure-bench/", count, concurrency).await;
    let tenure_rate = count as f64 / started.elapsed().as_secs_f64();
    let tenure_cpu = cpu.since(count);
    assert!(outcomes.iter().all(|ok| *ok), "a Tenure rotation failed");
    phase_breakdown(&config.audit_log);

    // The PostgreSQL half of Tenure's rotation on its own (ALTER ROLE and
    // the login test; no vault, no state, no audit): the most any rotation
    // that proves its credential can reach on this machine.
    let target = Arc::clone(plugins.target("pg").expect("target"));
    let cpu = MachineCpu::now();
    let started = Instant::now();
    futures_util::stream::iter(0..count)
        .map(|i| {
            let (target, pg) = (Arc::clone(&target), pg.clone());
            async move {
                let address: SecretAddress =
                    format!("vault:tenure-bench/{i}").parse().expect("address");
                let ctx = TargetContext {
                    address: &address,
                    run_id: "bench",
                    scopes: &[],
                };
                let current = SecretValue::new(format!(
                    r#"{{"username":"tnr_bench_{i}","password":"unused","host":"{}","port":{}}}"#,
                    pg.get_host(),
                    pg.get_port()
                ));
                let pending = target.issue(ctx, Some(&current)).await.expect("issue");
                target
                    .apply(ctx, Some(&current), &pending)
                    .await
                    .expect("apply");
                target.test(ctx, &pending).await.expect("test");
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    let postgres_rate = count as f64 / started.elapsed().as_secs_f64();
    let postgres_cpu = cpu.since(count);

    let cpu = MachineCpu::now();
    let started = Instant::now();
    futures_util::stream::iter(0..count)
        .map(|i| {
            let root = &root;
            async move {
                vaultrs::database::static_role::rotate(root, MOUNT, &format!("obao_bench_{i}"))
                    .await
                    .expect("rotate-role");
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    let openbao_rate = count as f64 / started.elapsed().as_secs_f64();
    let openbao_cpu = cpu.since(count);

    println!(
        "{:>44}  {:>12}  {:>18}  {:>11}",
        "", "rotations/s", "machine CPU ms/rot", "busy cores"
    );
    println!(
        "{:>44}  {tenure_rate:>12.1}  {:>18.2}  {:>11.2}",
        "tenure (KV v2 + PostgreSQL, login-tested)", tenure_cpu.0, tenure_cpu.1
    );
    println!(
        "{:>44}  {postgres_rate:>12.1}  {:>18.2}  {:>11.2}",
        "PostgreSQL alone (ALTER + login, no vault)", postgres_cpu.0, postgres_cpu.1
    );
    println!(
        "{:>44}  {openbao_rate:>12.1}  {:>18.2}  {:>11.2}",
        "openbao database/rotate-role (no login)", openbao_cpu.0, openbao_cpu.1
    );
    println!(
        "{:>44}  {:>12.2}",
        "ratio tenure / openbao",
        tenure_rate / openbao_rate
    );
}

/// Prints the mean time from each audit entry of a run to the next, by the
/// later entry's kind: where a rotation's time goes.
fn phase_breakdown(trail: &std::path::Path) {
    let text = std::fs::read_to_string(trail).expect("audit trail");
    let mut last: std::collections::HashMap<String, chrono::DateTime<chrono::Utc>> =
        std::collections::HashMap::new();
    let mut spent: std::collections::BTreeMap<String, (f64, u32)> = Default::default();
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("entry");
        let (Some(run), Some(ts)) = (entry["run"].as_str(), entry["ts"].as_str()) else {
            continue;
        };
        let ts: chrono::DateTime<chrono::Utc> = ts.parse().expect("ts");
        let kind = format!(
            "{} {}",
            entry["kind"].as_str().unwrap_or_default(),
            entry["data"]["phase"].as_str().unwrap_or_default()
        );
        if let Some(previous) = last.insert(run.to_owned(), ts) {
            let slot = spent.entry(kind).or_default();
            slot.0 += (ts - previous).num_microseconds().unwrap_or_default() as f64 / 1000.0;
            slot.1 += 1;
        }
    }
    println!("  tenure, mean time before each audit entry of a run (ms):");
    for (kind, (total, n)) in spent {
        println!("    {kind:<40} {:>8.1}  (n={n})", total / f64::from(n));
    }
}
