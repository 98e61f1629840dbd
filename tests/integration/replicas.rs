//! Several replicas on one PostgreSQL state store: two `tenure run`
//! processes share 200 secrets that fall due at once; each is rotated
//! exactly once and none is missed. Then again with one replica killed
//! (SIGKILL) mid-run: the survivor finishes its work. The two replicas'
//! audit trails verify as one against the checkpoint registry in the shared
//! store, and a trail missing, cut short or a registry reordered is caught.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::common::sql::{new_database, pg_admin_url};
use crate::common::{Deadline, succeeded, tenure};

const SECRETS: usize = 200;

struct Fleet {
    _dir: tempfile::TempDir,
    root: PathBuf,
    state_url: String,
    pool: PgPool,
}

impl Fleet {
    async fn new(admin: &str) -> Self {
        let (_, _, state_url) = new_database(admin, "tenure_replicas").await;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        let mut seed = String::new();
        for i in 0..SECRETS {
            seed.push_str(&format!("[[secrets]]\npath = \"fleet/app-{i:03}\"\nowner = \"alice@example.com\"\nage = \"120d\"\n\n"));
        }
        std::fs::write(root.join("seed.toml"), seed).expect("seed");
        std::fs::write(
            root.join("records.toml"),
            r#"[[records]]
id = "fleet"
secrets = "local:fleet/*"
target = "generated"
owner = "alice@example.com"
purpose = "Fleet tokens"
max_age = "90d"
grace = "1s"
approval = { by = "ciso@example.com", at = 2026-01-01T00:00:00Z }
"#,
        )
        .expect("records");
        for replica in ["a", "b"] {
            std::fs::write(
                root.join(format!("{replica}.toml")),
                format!(
                    r#"[tenure]
state_dir = "state-{replica}"
state_url = {{ env = "TENURE_STATE_URL" }}
include = ["records.toml"]
concurrency = 8
lease_ttl = "5s"
reconcile_interval = "1s"

[retry]
initial_backoff = "100ms"
max_backoff = "1s"

[providers.local]
type = "local"
path = "vault.tvault"
key = {{ file = "vault.key" }}
seed = "seed.toml"

[targets.generated]
type = "generate"
"#
                ),
            )
            .expect("config");
        }
        let fleet_pool = PgPool::connect(&state_url).await.expect("state db");
        let fleet = Self {
            _dir: dir,
            root,
            state_url,
            pool: fleet_pool,
        };
        // Create the shared vault (and its 200 overdue secrets) once, up front.
        let args = ["local", "list"];
        succeeded(
            &args,
            fleet.command("a", &args).output().expect("local list"),
        );
        fleet
    }

    fn command(&self, replica: &str, args: &[&str]) -> Command {
        let mut cmd = tenure(&self.root.join(format!("{replica}.toml")), args);
        cmd.env("TENURE_STATE_URL", &self.state_url)
            .stdout(Stdio::null());
        cmd
    }

    fn start(&self, replica: &str) -> Child {
        let log = std::fs::File::create(self.root.join(format!("{replica}.log"))).expect("log");
        self.command(replica, &["run"])
            .stderr(log)
            .spawn()
            .expect("spawn")
    }

    fn log(&self, replica: &str) -> String {
        std::fs::read_to_string(self.root.join(format!("{replica}.log"))).unwrap_or_default()
    }

    fn started_by(&self, replica: &str) -> usize {
        audit_count(
            &self.root.join(format!("state-{replica}/audit.jsonl")),
            "run_started",
        )
    }

    /// Rotate runs per secret, and how many have finished.
    async fn rotations(&self) -> (Vec<(String, i64)>, i64) {
        let rows = sqlx::query(
            "SELECT secret, count(*) AS n FROM runs WHERE kind = 'rotate' GROUP BY secret ORDER BY secret",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap_or_default();
        let per_secret = rows
            .iter()
            .map(|r| (r.get::<String, _>("secret"), r.get::<i64, _>("n")))
            .collect();
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM runs WHERE kind = 'rotate' AND status = 'succeeded'",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap_or(0);
        (per_secret, done)
    }

    async fn wait_all_rotated(&self, within: Duration) -> Vec<(String, i64)> {
        let deadline = Deadline::after(within, Duration::from_millis(200));
        loop {
            let (per_secret, done) = self.rotations().await;
            if done >= i64::try_from(SECRETS).expect("count") {
                return per_secret;
            }
            deadline
                .wait(|| {
                    format!(
                        "{done} of {SECRETS} rotations finished\n--- a ---\n{}\n--- b ---\n{}",
                        tail(&self.log("a")),
                        tail(&self.log("b"))
                    )
                })
                .await;
        }
    }
}

impl Fleet {
    fn trail(&self, replica: &str) -> PathBuf {
        self.root.join(format!("state-{replica}/audit.jsonl"))
    }

    /// `tenure audit verify` of the given trails and the replicas' keys,
    /// with `extra` arguments; the exit code and the output.
    fn verify(&self, trails: &[PathBuf], extra: &[&str]) -> (Option<i32>, String) {
        let mut args = vec!["audit".to_owned(), "verify".to_owned()];
        for trail in trails {
            args.extend(["--trail".to_owned(), trail.display().to_string()]);
        }
        for replica in ["a", "b"] {
            let key = self.root.join(format!("{replica}.pub.pem"));
            args.extend(["--pubkey".to_owned(), key.display().to_string()]);
        }
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self
            .command("a", &args)
            .stdout(Stdio::piped())
            .output()
            .expect("verify");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }

    /// Both trails verify as one against the registry; one missing, one
    /// cut short or the registry reordered does not.
    fn trails_verify_as_one(&self) {
        for replica in ["a", "b"] {
            let out = self
                .command(replica, &["audit", "pubkey"])
                .stdout(Stdio::piped())
                .output()
                .expect("pubkey");
            std::fs::write(self.root.join(format!("{replica}.pub.pem")), out.stdout).expect("pem");
        }
        let registry = self
            .command("a", &["audit", "checkpoints"])
            .stdout(Stdio::piped())
            .output()
            .expect("checkpoints");
        let rows = String::from_utf8_lossy(&registry.stdout).into_owned();
        assert!(rows.lines().count() >= 2, "{rows}");
        let file = self.root.join("checkpoints.jsonl");
        std::fs::write(&file, &rows).expect("registry");
        let file_arg = file.display().to_string();
        let both = [self.trail("a"), self.trail("b")];

        let (code, text) = self.verify(&both, &["--checkpoints", &file_arg]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.starts_with("OK: 2 trails"), "{text}");
        // From the shared store directly, the same.
        let (code, text) = self.verify(&both, &[]);
        assert_eq!(code, Some(0), "{text}");

        // A replica's trail missing.
        let (code, text) = self.verify(&both[..1], &["--checkpoints", &file_arg]);
        assert_eq!(code, Some(3), "{text}");
        assert!(text.contains("is missing"), "{text}");

        // A copy of b's trail cut to its first half (no head file beside it).
        let b = std::fs::read_to_string(&both[1]).expect("trail b");
        let lines: Vec<&str> = b.lines().collect();
        let cut = self.root.join("b-cut.jsonl");
        std::fs::write(&cut, lines[..lines.len() / 2].join("\n") + "\n").expect("cut");
        let (code, text) = self.verify(&[both[0].clone(), cut], &["--checkpoints", &file_arg]);
        assert_eq!(code, Some(3), "{text}");
        assert!(text.contains("entries were cut"), "{text}");

        // The registry with two rows swapped.
        let mut swapped: Vec<&str> = rows.lines().collect();
        swapped.swap(0, 1);
        let reordered = self.root.join("reordered.jsonl");
        std::fs::write(&reordered, swapped.join("\n")).expect("reordered");
        let (code, text) = self.verify(&both, &["--checkpoints", &reordered.display().to_string()]);
        assert_eq!(code, Some(3), "{text}");
        assert!(text.contains("removed or reordered"), "{text}");
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn audit_count(path: &Path, kind: &str) -> usize {
    let needle = format!("\"kind\":\"{kind}\"");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn assert_each_once(per_secret: &[(String, i64)]) {
    assert_eq!(per_secret.len(), SECRETS, "every secret rotated");
    let twice: Vec<_> = per_secret.iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "rotated more than once: {twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_rotate_200_due_secrets_exactly_once() {
    let Some(admin) = pg_admin_url() else { return };
    let fleet = Fleet::new(&admin).await;
    let a = fleet.start("a");
    let b = fleet.start("b");
    let per_secret = fleet.wait_all_rotated(Duration::from_secs(120)).await;
    // Let both settle, then count again: no late second rotation.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(a);
    stop(b);
    let (after, _) = fleet.rotations().await;
    assert_eq!(after, per_secret);
    assert_each_once(&per_secret);
    let (by_a, by_b) = (fleet.started_by("a"), fleet.started_by("b"));
    assert_eq!(by_a + by_b, SECRETS, "a started {by_a}, b started {by_b}");
    assert!(
        by_a > 0 && by_b > 0,
        "both replicas worked: a {by_a}, b {by_b}"
    );
    fleet.trails_verify_as_one();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_run_leaves_its_work_to_the_other() {
    let Some(admin) = pg_admin_url() else { return };
    let fleet = Fleet::new(&admin).await;
    let mut a = fleet.start("a");
    // Let a take some work, then kill it without warning.
    let deadline = Deadline::after(Duration::from_secs(60), Duration::from_millis(10));
    while fleet.started_by("a") < 10 {
        deadline
            .wait(|| format!("a never started:\n{}", fleet.log("a")))
            .await;
    }
    let b = fleet.start("b");
    std::thread::sleep(Duration::from_millis(300));
    a.kill().expect("kill -9");
    a.wait().expect("reap");
    let per_secret = fleet.wait_all_rotated(Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop(b);
    let (after, _) = fleet.rotations().await;
    assert_eq!(after, per_secret);
    assert_each_once(&per_secret);
    assert!(fleet.started_by("b") > 0);
}
