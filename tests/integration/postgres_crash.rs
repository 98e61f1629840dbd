//! Crash safety and availability against a real PostgreSQL with password
//! authentication:
//! - kill -9 the tenure process at every phase boundary of a rotation and of
//!   a revocation, rerun, and the run completes;
//! - a probe that keeps logging in with whatever the vault currently holds
//!   never fails during a dual-strategy rotation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool};
use tenure_plugin_api::{DbCredential, Provider, Stage};

use crate::common;
use crate::common::sql::pg_admin_url;
use crate::common::{stderr, with_stdin};

/// One scenario: a temp folder with a config for `role`, and the vault secret `db/app`.
struct Scenario {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    url: String,
    role: String,
}

impl Scenario {
    async fn new(url: &str, role: &str, strategy: &str) -> Self {
        let pool = PgPool::connect(url).await.expect("admin");
        let login_role = if strategy == "dual" {
            format!("{role}_a")
        } else {
            role.to_owned()
        };
        let setup = if strategy == "dual" {
            format!(
                "DO $$ BEGIN
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role} NOLOGIN; END IF;
                   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}_a') THEN CREATE ROLE {role}_a IN ROLE {role}; END IF;
                   IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}_b') THEN ALTER ROLE {role}_b NOLOGIN; END IF;
                 END $$;
                 ALTER ROLE {role}_a LOGIN PASSWORD 'change-me'"
            )
        } else {
            format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role}; END IF; END $$;
                 ALTER ROLE {role} LOGIN PASSWORD 'change-me'"
            )
        };
        sqlx::raw_sql(&setup).execute(&pool).await.expect("setup");
        pool.close().await;

        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let config = root.join("tenure.toml");
        std::fs::write(
            &config,
            format!(
                r#"[tenure]
state_dir = "state"
[retry]
initial_backoff = "10ms"
max_backoff = "50ms"
[providers.local]
type = "local"
path = "vault.tvault"
[targets.pg]
type = "postgres"
admin_url = {{ env = "TENURE_PG_ADMIN_URL" }}
strategy = "{strategy}"
[[records]]
id = "app"
secrets = "local:db/app"
target = "pg"
account = "{role}"
owner = "dba@example.com"
purpose = "crash test"
max_age = "30d"
grace = "{grace}"
approval = {{ by = "ciso", at = 2026-01-01 }}
"#,
                grace = if strategy == "dual" { "2s" } else { "0s" }
            ),
        )
        .expect("config");
        let options = PgConnectOptions::from_str(url).expect("url");
        let secret = format!(
            r#"{{"username":"{login_role}","password":"change-me","host":"{}","port":{},"dbname":"postgres"}}"#,
            options.get_host(),
            options.get_port()
        );
        let scenario = Self {
            _dir: dir,
            root,
            config,
            url: url.to_owned(),
            role: role.to_owned(),
        };
        let put = with_stdin(scenario.command(&["local", "put", "db/app"]), &secret);
        assert!(put.status.success());
        scenario
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = common::tenure(&self.config, args);
        command.env("TENURE_PG_ADMIN_URL", &self.url);
        command
    }

    /// Runs `tenure args`, which must succeed.
    fn ok(&self, args: &[&str]) -> Output {
        common::succeeded(args, self.command(args).output().expect("run tenure"))
    }

    /// Runs `args` paused at `point` and kills it with SIGKILL there.
    fn kill_at(&self, args: &[&str], point: &str) {
        common::kill_at(self.command(args), point);
    }

    async fn vault(&self) -> Arc<dyn Provider> {
        let config = tenure::config::load(&self.config).expect("config");
        let plugins = tenure::plugins::Plugins::build(&config).expect("plugins");
        Arc::clone(plugins.provider("local").expect("local"))
    }
}

async fn login(url: &str, credential: &DbCredential) -> Result<(), String> {
    let options = PgConnectOptions::from_str(url)
        .expect("url")
        .username(&credential.username)
        .password(credential.password.expose());
    common::sql::login::<PgConnection>(&options).await
}

async fn current(vault: &dyn Provider) -> DbCredential {
    DbCredential::parse(&vault.read("db/app", Stage::Current).await.expect("read"))
        .expect("credential")
}

#[tokio::test]
async fn rotation_and_revocation_resume_after_kill_9_at_every_phase_boundary() {
    let Some(url) = pg_admin_url() else { return };
    let mut points: Vec<(&str, String)> = Vec::new();
    for phase in [
        "create_pending",
        "set_in_target",
        "test",
        "promote",
        "retire",
    ] {
        for when in ["before", "after"] {
            points.push(("rotate", format!("{phase}:{when}")));
        }
    }
    for phase in ["disable_in_target", "verify_revoked", "disable_in_vault"] {
        for when in ["before", "after"] {
            points.push(("revoke", format!("{phase}:{when}")));
        }
    }
    for (action, point) in points {
        let scenario = Scenario::new(&url, "tenure_crash", "single").await;
        scenario.kill_at(&[action, "local:db/app"], &point);
        let rerun = scenario
            .command(&["run", "--once"])
            .output()
            .expect("rerun");
        assert!(
            rerun.status.success(),
            "{action} {point}: rerun failed:\n{}",
            stderr(&rerun)
        );
        let vault = scenario.vault().await;
        let meta = vault.describe("db/app").await.expect("describe");
        assert!(
            meta.version(Stage::Pending).is_none(),
            "{point}: pending left: {meta:?}"
        );
        let old = DbCredential::parse(&tenure_plugin_api::SecretValue::new(format!(
            r#"{{"username":"{}","password":"change-me"}}"#,
            scenario.role
        )))
        .expect("old");
        if action == "rotate" {
            let now = current(vault.as_ref()).await;
            assert_eq!(
                login(&url, &now).await,
                Ok(()),
                "{point}: the vault's credential does not log in"
            );
            assert_eq!(
                login(&url, &old).await,
                Err("28P01".into()),
                "{point}: the old password still works"
            );
            assert_eq!(
                meta.versions
                    .iter()
                    .filter(|v| v.has(Stage::Current))
                    .count(),
                1
            );
        } else {
            assert!(!meta.enabled, "{point}: still enabled in the vault");
            let refused = login(&url, &old).await.expect_err("revoked");
            assert!(
                refused == "28000" || refused == "28P01",
                "{point}: {refused}"
            );
            let trail =
                std::fs::read_to_string(scenario.root.join("state/audit.jsonl")).expect("trail");
            assert!(
                trail.contains("refused with SQLSTATE"),
                "{point}: no login proof"
            );
        }
        let verify = scenario
            .command(&["audit", "verify"])
            .output()
            .expect("verify");
        assert!(verify.status.success(), "{point}: {}", stderr(&verify));
    }
}

/// Logs in with whatever the vault holds, as fast as it can, until stopped.
fn probe(
    url: String,
    vault: Arc<dyn Provider>,
    stop: Arc<AtomicBool>,
    attempts: Arc<AtomicU32>,
    failures: Arc<AtomicU32>,
) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let credential = current(vault.as_ref()).await;
            attempts.fetch_add(1, Ordering::SeqCst);
            if let Err(code) = login(&url, &credential).await {
                failures.fetch_add(1, Ordering::SeqCst);
                seen.push(format!("{} refused: {code}", credential.username));
            }
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn a_probe_never_fails_during_dual_rotations() {
    let Some(url) = pg_admin_url() else { return };
    let scenario = Scenario::new(&url, "tenure_probe", "dual").await;
    let vault = scenario.vault().await;
    let (stop, attempts, failures) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicU32::new(0)),
    );
    let handle = probe(
        url.clone(),
        Arc::clone(&vault),
        Arc::clone(&stop),
        Arc::clone(&attempts),
        Arc::clone(&failures),
    );
    let started = Instant::now();
    // Three rotations, each retiring the previous login after its grace period.
    for _ in 0..3 {
        scenario.ok(&["rotate", "local:db/app"]);
        tokio::time::sleep(Duration::from_millis(2200)).await;
        scenario.ok(&["run", "--once"]);
    }
    stop.store(true, Ordering::SeqCst);
    let refusals = handle.await.expect("probe");
    let attempts = attempts.load(Ordering::SeqCst);
    assert!(
        attempts > 50,
        "the probe ran only {attempts} logins in {:?}",
        started.elapsed()
    );
    assert!(
        refusals.is_empty(),
        "{} of {attempts} logins failed: {refusals:?}",
        refusals.len()
    );
    // The rotations really happened: the login moved on and the old one is dead.
    let now = current(vault.as_ref()).await;
    assert_eq!(now.username, format!("{}_b", scenario.role));
    let a = DbCredential::parse(&tenure_plugin_api::SecretValue::new(format!(
        r#"{{"username":"{}_a","password":"change-me"}}"#,
        scenario.role
    )))
    .expect("a");
    assert!(login(&url, &a).await.is_err());
    let _ = Path::new(&scenario.config);
}

/// With one role and one password, the server and the vault cannot change at
/// the same instant: a consumer that reads the vault just before promotion
/// and logs in just after `ALTER ROLE` is refused. A consumer that re-reads
/// the vault after a refusal, with a short backoff (the contract of
/// single-user rotation), is never locked out; the strict probe's refusals are counted and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn single_rotation_never_locks_out_a_consumer_that_rereads_on_refusal() {
    let Some(url) = pg_admin_url() else { return };
    let scenario = Scenario::new(&url, "tenure_probe_single", "single").await;
    let vault = scenario.vault().await;
    let stop = Arc::new(AtomicBool::new(false));
    let strict = probe(
        url.clone(),
        Arc::clone(&vault),
        Arc::clone(&stop),
        Arc::new(AtomicU32::new(0)),
        Arc::new(AtomicU32::new(0)),
    );
    let rereading = {
        let (url, vault, stop) = (url.clone(), Arc::clone(&vault), Arc::clone(&stop));
        tokio::spawn(async move {
            let (mut attempts, mut lockouts) = (0u32, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                attempts += 1;
                if login(&url, &current(vault.as_ref()).await).await.is_err() {
                    // The rotation was between the server and the vault: re-read
                    // with a short backoff, as a single-user consumer must. The
                    // window is the new credential's login test plus the
                    // promotion, longer on a loaded machine, so the budget is 3s.
                    let mut last = None;
                    for _ in 0..30 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        match login(&url, &current(vault.as_ref()).await).await {
                            Ok(()) => {
                                last = None;
                                break;
                            }
                            Err(code) => last = Some(code),
                        }
                    }
                    if let Some(code) = last {
                        lockouts.push(code);
                    }
                }
            }
            (attempts, lockouts)
        })
    };
    for _ in 0..15 {
        scenario.ok(&["rotate", "local:db/app"]);
    }
    stop.store(true, Ordering::SeqCst);
    let strict_refusals = strict.await.expect("strict probe");
    let (attempts, lockouts) = rereading.await.expect("probe");
    assert!(attempts > 20, "the probe ran only {attempts} logins");
    assert!(
        lockouts.is_empty(),
        "a consumer was locked out: {lockouts:?}"
    );
    eprintln!(
        "single strategy: {} strict-probe refusals in 15 rotations (the window between ALTER ROLE and promotion); 0 lockouts with re-reads",
        strict_refusals.len()
    );
}
