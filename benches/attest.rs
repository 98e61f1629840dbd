//! Attests 1,000 PostgreSQL credentials (a fresh login and a privilege
//! read each) at concurrency 1, 8 and 32, and prints:
//!
//! - attestations per second, for a whole pass as `tenure attest` runs it
//!   (vault reads, the checks, the state store and the audit trail) and for
//!   the target's two calls alone;
//! - the machine's CPU milliseconds per attestation (every process: Tenure
//!   and PostgreSQL) and PostgreSQL's own;
//! - what one attestation cost the server, from `pg_stat_database`: the
//!   sessions opened (one: the login) and the transactions run (three: the
//!   login's session start and its `SELECT current_user`, and one catalog
//!   query);
//! - the projected share of one PostgreSQL core that attesting 10,000
//!   credentials hourly takes.
//!
//! Needs TENURE_TEST_PG_URL (scripts/services start; . target/test-services/env).
//! Run: `cargo bench --bench attest`

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cpu::{MachineCpu, ServerCpu};
use common::pg::{credential, open_app, put_each};
use futures_util::StreamExt;
use tenure_plugin_api::{LoginOutcome, SecretAddress, SecretValue, Stage, TargetContext};

const CREDENTIALS: usize = 1_000;

/// Sessions and transactions the server has counted so far.
async fn server_counts(admin: &sqlx::PgPool) -> (i64, i64) {
    // Cumulative statistics reach the shared view when a backend ends or
    // at most a second later.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    sqlx::query_as(
        "SELECT sum(sessions)::bigint, sum(xact_commit + xact_rollback)::bigint FROM pg_stat_database",
    )
    .fetch_one(admin)
    .await
    .expect("pg_stat_database")
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { CREDENTIALS } else { 20 };
    let Some(url) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    let setup = format!(
        "DO $$ BEGIN
           IF to_regclass('public.bench_attest_data') IS NULL THEN
             CREATE TABLE public.bench_attest_data (id int);
           END IF;
           FOR i IN 0..{} LOOP
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_attest_' || i) THEN
               EXECUTE format('CREATE ROLE %I LOGIN', 'bench_attest_' || i);
             END IF;
             EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', 'bench_attest_' || i, 'initial-password');
             EXECUTE format('GRANT SELECT ON public.bench_attest_data TO %I', 'bench_attest_' || i);
           END LOOP; END $$",
        n - 1
    );
    sqlx::raw_sql(&setup).execute(&admin).await.expect("roles");
    let data_dir: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(&admin)
        .await
        .expect("data_directory");
    let postmaster: u32 = std::fs::read_to_string(format!("{data_dir}/postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
    let secret = |i: usize| credential(&options, &format!("bench_attest_{i}"), "initial-password");

    println!(
        "{n} PostgreSQL credentials (scram-sha-256), each attested with a fresh login and one privilege read"
    );
    println!(
        "{:>11}  {:>16}  {:>16}  {:>15}  {:>12}  {:>20}",
        "concurrency",
        "pass (att./s)",
        "target (att./s)",
        "machine CPU ms",
        "PG CPU ms",
        "sessions/xacts per att."
    );
    let mut pg_ms_at_32 = 0.0;
    for concurrency in [1usize, 8, 32] {
        let (_dir, reconciler) = open_app(&format!(
            "[tenure]\nstate_dir = \"state\"\n[providers.local]\ntype = \"local\"\npath = \"vault.tvault\"\n[targets.pg]\ntype = \"postgres\"\nadmin_url = {{ env = \"TENURE_TEST_PG_URL\" }}\nmax_admin_connections = {}\nattest = {{ concurrency = {concurrency} }}\n[[records]]\nid = \"bench\"\nsecrets = \"local:bench/*\"\ntarget = \"pg\"\naccount = \"bench_attest_*\"\nowner = \"o\"\npurpose = \"bench\"\nscopes = [\"SELECT ON public.bench_attest_data\"]\napproval = {{ by = \"c\", at = 2026-01-01 }}\n",
            concurrency.max(4)
        ))
        .await;
        let (config, plugins) = (reconciler.config(), reconciler.plugins().clone());
        let vault = Arc::clone(plugins.provider("local").expect("local"));
        put_each(vault.as_ref(), "bench/", n, secret).await;

        // A whole pass, as `tenure attest` runs it.
        let started = Instant::now();
        let report = reconciler.attest_now(None).await.expect("attest");
        let pass_rate = n as f64 / started.elapsed().as_secs_f64();
        assert_eq!(report.attestations.len(), n);
        assert!(
            report.attestations.iter().all(|a| a.result() == "ok"),
            "an attestation was not ok"
        );

        // The target's two calls alone, measured for CPU and server cost.
        let target = Arc::clone(plugins.target("pg").expect("target"));
        let scopes = config.governance.records[0].scopes.clone();
        let values: Vec<SecretValue> = futures_util::stream::iter(0..n)
            .then(|i| {
                let vault = Arc::clone(&vault);
                async move {
                    vault
                        .read(&format!("bench/{i}"), Stage::Current)
                        .await
                        .expect("read")
                }
            })
            .collect()
            .await;
        // Warm the admin pool so its connections are not counted.
        let address: SecretAddress = "local:bench/0".parse().expect("address");
        let ctx = TargetContext {
            address: &address,
            run_id: "bench",
            scopes: &scopes,
        };
        target.privileges(ctx, &values[0]).await.expect("warm");
        let (sessions, xacts) = server_counts(&admin).await;
        let machine = MachineCpu::now();
        let server = ServerCpu::now(postmaster);
        let started = Instant::now();
        let _: Vec<()> = futures_util::stream::iter(values.iter())
            .map(|value| {
                let (target, scopes) = (Arc::clone(&target), &scopes);
                async move {
                    let address: SecretAddress = "local:bench/x".parse().expect("address");
                    let ctx = TargetContext {
                        address: &address,
                        run_id: "bench",
                        scopes,
                    };
                    let login = target.try_login(ctx, value).await.expect("login");
                    assert!(matches!(login, LoginOutcome::Accepted(_)));
                    let held = target.privileges(ctx, value).await.expect("privileges");
                    assert_eq!(held.as_deref(), Some(scopes.as_slice()));
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let target_rate = n as f64 / started.elapsed().as_secs_f64();
        let (machine_ms, _) = machine.since(n);
        let pg_ms = server.since_ms() / n as f64;
        let (sessions_after, xacts_after) = server_counts(&admin).await;
        // The admin connection that reads the counters adds one statement.
        let logins = (sessions_after - sessions) as f64 / n as f64;
        let statements = (xacts_after - xacts - 1) as f64 / n as f64;
        println!(
            "{concurrency:>11}  {pass_rate:>16.1}  {target_rate:>16.1}  {machine_ms:>15.2}  {pg_ms:>12.2}  {:>20}",
            format!("{logins:.2} / {statements:.2}")
        );
        pg_ms_at_32 = pg_ms;
    }
    // 10,000 attestations an hour: PG CPU ms per attestation x 10,000 per 3,600,000 ms.
    let share = pg_ms_at_32 * 10_000.0 / 3_600_000.0 * 100.0;
    println!(
        "Projected: attesting 10,000 credentials hourly takes {share:.2}% of one PostgreSQL core ({:.1} ms of PostgreSQL CPU each, measured at concurrency 32).",
        pg_ms_at_32
    );
}
