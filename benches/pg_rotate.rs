//! Rotates 1,000 PostgreSQL roles at concurrency 1, 8 and 32 and prints
//! rotations per second, each rotation including its login test.
//!
//! Two figures per level:
//! - `workflow`: the whole persisted workflow through the engine (stage in
//!   the local vault, ALTER ROLE, login test, promote, retire), as `tenure`
//!   runs it;
//! - `target`: the target's own steps only (issue, ALTER ROLE, login test).
//!
//! Needs TENURE_TEST_PG_URL (scripts/services start; . target/test-services/env).
//! Run: `cargo bench --bench pg_rotate`

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::pg::{credential, login_roles, open_app, put_each, rotate_each};
use futures_util::StreamExt;
use tenure_plugin_api::{SecretAddress, TargetContext};

const ROLES: usize = 1_000;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let roles = if full { ROLES } else { 20 };
    // Panics under CI=true when the service is missing; otherwise says it skipped.
    let Some(url) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let admin = sqlx::PgPool::connect(&url).await.expect("admin");
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("url");
    let secret = |i: usize| credential(&options, &format!("bench_role_{i}"), "initial-password");
    println!(
        "{roles} PostgreSQL roles (scram-sha-256), each rotation including a fresh login test"
    );
    println!(
        "{:>11}  {:>24}  {:>22}",
        "concurrency", "workflow (rotations/s)", "target (rotations/s)"
    );
    for concurrency in [1usize, 8, 32] {
        // (Re)set every password, so each level starts from the same state.
        login_roles(&admin, "bench_role_", roles).await;
        let (_dir, app) = open_app(&format!(
            "[tenure]\nstate_dir = \"state\"\nconcurrency = {concurrency}\n[providers.local]\ntype = \"local\"\npath = \"vault.tvault\"\n[targets.pg]\ntype = \"postgres\"\nadmin_url = {{ env = \"TENURE_TEST_PG_URL\" }}\nmax_admin_connections = {}\n[[records]]\nid = \"bench\"\nsecrets = \"local:bench/*\"\ntarget = \"pg\"\naccount = \"bench_role_*\"\nowner = \"o\"\npurpose = \"bench\"\ngrace = \"0s\"\napproval = {{ by = \"c\", at = 2026-01-01 }}\n",
            concurrency.max(4)
        ))
        .await;
        let (config, plugins) = (app.config(), app.plugins().clone());
        let vault = Arc::clone(plugins.provider("local").expect("local"));
        put_each(vault.as_ref(), "bench/", roles, secret).await;
        let record = config.governance.records.first().expect("record").clone();

        let started = Instant::now();
        let outcomes = rotate_each(&app, &record, "local:bench/", roles, concurrency).await;
        let workflow = roles as f64 / started.elapsed().as_secs_f64();
        assert!(outcomes.iter().all(|ok| *ok), "a rotation failed");

        let target = Arc::clone(plugins.target("pg").expect("target"));
        let started = Instant::now();
        let _: Vec<()> = futures_util::stream::iter(0..roles)
            .map(|i| {
                let (target, vault) = (Arc::clone(&target), Arc::clone(&vault));
                async move {
                    let address: SecretAddress =
                        format!("local:bench/{i}").parse().expect("address");
                    let ctx = TargetContext {
                        address: &address,
                        run_id: "bench",
                        scopes: &[],
                    };
                    let current = vault
                        .read(address.path(), tenure_plugin_api::Stage::Current)
                        .await
                        .expect("read");
                    let pending = target.issue(ctx, Some(&current)).await.expect("issue");
                    target
                        .apply(ctx, Some(&current), &pending)
                        .await
                        .expect("apply");
                    target.test(ctx, &pending).await.expect("test");
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let target_rate = roles as f64 / started.elapsed().as_secs_f64();
        println!("{concurrency:>11}  {workflow:>24.1}  {target_rate:>22.1}");
    }
}
