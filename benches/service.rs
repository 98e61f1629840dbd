//! The running service, measured from outside:
//!
//! 1. resident memory of `tenure run` idle on the demo, and with 10,000
//!    secrets tracked (the web console on: an operator signed in and every
//!    page loaded once before measuring);
//! 2. durable event intake: signed events per second answered 202 (each
//!    stored in the state store before the reply);
//! 3. event-to-verified-revocation latency (p50, p99): 1,000
//!    `io.tenure.owner.left` events, each for the owner of one PostgreSQL
//!    role; measured from the POST to the audit entry proving the vault
//!    refuses the secret (after the role's login was proven refused).
//!
//! Needs TENURE_TEST_PG_URL (scripts/services start; . target/test-services/env).
//! Run: `cargo bench --bench service` (without `--bench`, as `cargo test`
//! runs it, a small quick version).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::pg::{credential, login_roles, put_each};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tenure::events::WebhookKey;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

struct Service {
    child: Child,
    base: String,
    root: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn start(root: &Path, config: &str, env: &[(&str, &str)]) -> Service {
    let port = free_port();
    let path = root.join("tenure.toml");
    std::fs::write(
        &path,
        format!(
            "{config}\n[server]\nlisten = \"127.0.0.1:{port}\"\nwebhook_secret = {{ env = \"BENCH_WEBHOOK_SECRET\" }}\nadmin_token = {{ env = \"BENCH_ADMIN_TOKEN\" }}\nmax_body_bytes = 65536\nmax_in_flight = 128\n"
        ),
    )
    .expect("config");
    let log = std::fs::File::create(root.join("service.log")).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_tenure"))
        .arg("-c")
        .arg(&path)
        .arg("run")
        .env("BENCH_WEBHOOK_SECRET", SECRET)
        .env("BENCH_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("TENURE_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn tenure");
    let service = Service {
        child,
        base: format!("http://127.0.0.1:{port}"),
        root: root.to_path_buf(),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if let Ok(r) = client.get(format!("{}/readyz", service.base)).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready: {}",
            std::fs::read_to_string(root.join("service.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    service
}

/// Signs in to the web console and loads each of its pages once, so the
/// memory measured includes what the console keeps.
async fn visit_console(base: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let cookie_of = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .find(|c| c.starts_with(name))
            .map(str::to_owned)
            .expect("cookie")
    };
    let form = http
        .get(format!("{base}/ui/signin"))
        .send()
        .await
        .expect("form");
    let signin = cookie_of(&form, "tenure_signin=");
    let csrf = signin.trim_start_matches("tenure_signin=").to_owned();
    let body = format!("csrf={csrf}&token={ADMIN_TOKEN}");
    let signed = http
        .post(format!("{base}/ui/signin"))
        .header("cookie", &signin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sign in");
    let session = cookie_of(&signed, "tenure_console=");
    for page in [
        "/ui/",
        "/ui/secrets",
        "/ui/orphans",
        "/ui/approvals",
        "/ui/audit",
    ] {
        let answer = http
            .get(format!("{base}{page}"))
            .header("cookie", &session)
            .send()
            .await
            .expect("page");
        assert_eq!(answer.status(), 200, "{page}");
    }
}

fn event(id: &str, kind: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "specversion": "1.0", "id": id, "source": "/bench", "type": kind, "data": data,
    }))
    .expect("json")
}

async fn post(
    client: &reqwest::Client,
    key: &WebhookKey,
    base: &str,
    id: &str,
    body: Vec<u8>,
) -> u16 {
    let now = chrono::Utc::now().timestamp();
    client
        .post(format!("{base}/v1/events"))
        .header("content-type", "application/cloudevents+json")
        .header("webhook-id", id)
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", key.sign(id, now, &body))
        .body(body)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

fn seed(root: &Path, paths: impl Iterator<Item = String>) {
    let mut text = String::new();
    for path in paths {
        text.push_str(&format!(
            "[[secrets]]\npath = {path:?}\nowner = \"o\"\nage = \"1d\"\n\n"
        ));
    }
    std::fs::write(root.join("seed.toml"), text).expect("seed");
}

const LOCAL: &str =
    "[providers.local]\ntype = \"local\"\npath = \"vault.tvault\"\nseed = \"seed.toml\"\n";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (tracked, intake_events, revocations) = if full {
        (10_000, 10_000, 1_000)
    } else {
        (200, 300, 20)
    };
    // Panics under CI=true when the service is missing; otherwise says it skipped.
    let Some(pg) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let key = Arc::new(WebhookKey::parse(SECRET).expect("key"));

    // 1. Memory: idle with a handful of secrets, then with `tracked`.
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path(), (0..6).map(|i| format!("idle/{i}")));
    let idle = start(
        dir.path(),
        &format!("[tenure]\nstate_dir = \"state\"\n{LOCAL}"),
        &[],
    )
    .await;
    visit_console(&idle.base).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(idle.child.id());
    drop(idle);
    let dir = tempfile::tempdir().expect("tempdir");
    seed(dir.path(), (0..tracked).map(|i| format!("fleet/{i}")));
    let records = "[targets.gen]\ntype = \"generate\"\n[[records]]\nid = \"fleet\"\nsecrets = \"local:fleet/*\"\ntarget = \"gen\"\nowner = \"o\"\npurpose = \"bench\"\nmax_age = \"90d\"\napproval = { by = \"c\", at = 2026-01-01 }\n";
    let started = Instant::now();
    let big = start(
        dir.path(),
        &format!("[tenure]\nstate_dir = \"state\"\n{LOCAL}{records}"),
        &[],
    )
    .await;
    let first_pass = started.elapsed();
    visit_console(&big.base).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let big_rss = rss_kib(big.child.id());

    // 2. Durable intake against the service tracking `tracked` secrets.
    let started = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(0..intake_events)
        .map(|i| {
            let (client, key, base) = (client.clone(), Arc::clone(&key), big.base.clone());
            async move {
                let body = event(
                    &format!("in-{i}"),
                    "io.tenure.review.completed",
                    json!({ "record": "fleet", "reviewer": "rita@example.com", "decision": "keep" }),
                );
                post(&client, &key, &base, &format!("msg_in_{i}"), body).await
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let intake = intake_events as f64 / started.elapsed().as_secs_f64();
    assert!(
        statuses.iter().all(|s| *s == 202),
        "intake refused some events"
    );
    drop(big);

    // 3. Event to verified revocation, PostgreSQL target.
    let admin = sqlx::PgPool::connect(&pg).await.expect("admin");
    login_roles(&admin, "bench_evt_", revocations).await;
    let options: sqlx::postgres::PgConnectOptions = pg.parse().expect("url");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("seed.toml"), "").expect("seed");
    let mut governance = String::new();
    for i in 0..revocations {
        governance.push_str(&format!(
            "[[owners]]\nid = \"owner-{i}@example.com\"\nstatus = \"active\"\n\n[[records]]\nid = \"evt-{i}\"\nsecrets = \"local:evt/{i}\"\ntarget = \"pg\"\naccount = \"bench_evt_{i}\"\nowner = \"owner-{i}@example.com\"\npurpose = \"bench\"\napproval = {{ by = \"c\", at = 2026-01-01 }}\n\n"
        ));
    }
    std::fs::write(root.join("governance.toml"), governance).expect("governance");
    let config = format!(
        "[tenure]\nstate_dir = \"state\"\ninclude = [\"governance.toml\"]\nconcurrency = 16\n{LOCAL}[targets.pg]\ntype = \"postgres\"\nadmin_url = {{ env = \"TENURE_TEST_PG_URL\" }}\nmax_admin_connections = 16\n"
    );
    // Store each role's credential before the service starts.
    {
        std::fs::write(root.join("tenure.toml"), &config).expect("config");
        let loaded = tenure::config::load(&root.join("tenure.toml")).expect("config");
        let plugins = tenure::plugins::Plugins::build(&loaded).expect("plugins");
        let vault = plugins.provider("local").expect("local");
        put_each(vault.as_ref(), "evt/", revocations, |i| {
            credential(&options, &format!("bench_evt_{i}"), "initial-password")
        })
        .await;
    }
    let service = start(root, &config, &[("TENURE_TEST_PG_URL", pg.as_str())]).await;
    let mut sent = Vec::with_capacity(revocations);
    let interval = Duration::from_millis(if full { 20 } else { 50 });
    for i in 0..revocations {
        let body = event(
            &format!("left-{i}"),
            "io.tenure.owner.left",
            json!({ "owner": format!("owner-{i}@example.com") }),
        );
        let at = chrono::Utc::now();
        let status = post(&client, &key, &service.base, &format!("msg_left_{i}"), body).await;
        assert_eq!(status, 202, "event {i}");
        sent.push(at);
        tokio::time::sleep(interval).await;
    }
    // Wait for every proof, then read the latencies from the audit trail.
    let audit = service.root.join("state/audit.jsonl");
    let deadline = Instant::now() + Duration::from_secs(600);
    let proofs = loop {
        let proofs: std::collections::HashMap<usize, chrono::DateTime<chrono::Utc>> =
            std::fs::read_to_string(&audit)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|e| {
                    e["kind"] == "verification"
                        && e["data"]["evidence"]["check"] == "vault_refuses_read"
                })
                .filter_map(|e| {
                    let i = e["secret"]
                        .as_str()?
                        .strip_prefix("local:evt/")?
                        .parse()
                        .ok()?;
                    let ts = chrono::DateTime::parse_from_rfc3339(e["ts"].as_str()?).ok()?;
                    Some((i, ts.with_timezone(&chrono::Utc)))
                })
                .collect();
        if proofs.len() >= revocations {
            break proofs;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {revocations} revocations verified",
            proofs.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut latencies: Vec<f64> = (0..revocations)
        .map(|i| (proofs[&i] - sent[i]).num_microseconds().unwrap_or(0) as f64 / 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'bench_evt_%' AND NOT rolcanlogin",
    )
    .fetch_one(&admin)
    .await
    .expect("count");
    assert!(
        refused >= i64::try_from(revocations).expect("count"),
        "roles still log in"
    );
    drop(service);

    println!("tenure run, measured from outside (release build, 2 cores)");
    println!(
        "  resident memory idle (6 secrets):         {:>8.1} MiB",
        idle_rss as f64 / 1024.0
    );
    println!(
        "  resident memory with {tracked} secrets tracked: {:>8.1} MiB (first pass {:.1}s)",
        big_rss as f64 / 1024.0,
        first_pass.as_secs_f64()
    );
    println!(
        "  durable event intake:                     {intake:>8.0} events/s ({intake_events} signed events, 64 at a time)"
    );
    println!(
        "  event -> verified revocation (PostgreSQL): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over {revocations} events, one every {} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(0.0),
        interval.as_millis()
    );
}
