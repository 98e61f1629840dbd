//! Per-secret evidence, black-box: `tenure evidence` on the demo after a
//! pass (the revoked payments token: its record and lineage, the revoke
//! decision, the revocation's phases and proof, each with its hash), checked
//! by `tenure evidence verify` in a folder holding only the file and the
//! public key; a changed entry is named; the HTML page holds no external
//! reference and verifies too; `--from`/`--to` narrow; an unknown secret is
//! exit 4; and the running service answers `GET /v1/secrets/{address}/evidence`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::service::Service;
use crate::common::{Deadline, Demo, stderr, stdout};

const PAYMENTS: &str = "local:api/payments-token";

/// `tenure evidence verify FILE --pubkey KEY` run in `dir` (no config there).
fn verify_in(dir: &Path, file: &str, key: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tenure"))
        .args(["evidence", "verify", file, "--pubkey", key])
        .current_dir(dir)
        .env_remove("TENURE_CONFIG")
        .env_remove("TENURE_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run tenure")
}

/// A folder apart holding only `file` (as `name`) and the public key.
fn auditor(file: &Path, name: &str, pubkey: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(file, dir.path().join(name)).expect("copy evidence");
    std::fs::write(dir.path().join("tenure-audit.pub.pem"), pubkey).expect("key");
    dir
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn entries<'a>(evidence: &'a Value, kind: &str) -> Vec<&'a Value> {
    evidence["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn seqs(evidence: &Value) -> Vec<u64> {
    evidence["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect()
}

/// The demo after one pass, with the audit key's public key.
fn demo() -> (Demo, String) {
    let demo = Demo::new();
    demo.ok(&["run", "--once"]);
    let pubkey = stdout(&demo.ok(&["audit", "pubkey"]));
    (demo, pubkey)
}

fn evidence_file(demo: &Demo, name: &str, extra: &[&str]) -> PathBuf {
    let path = demo.dir.path().join(name);
    let mut args = vec![
        "evidence",
        PAYMENTS,
        "--output",
        path.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    demo.ok(&args);
    path
}

#[test]
fn a_revoked_secrets_evidence_shows_record_lineage_decision_and_proof_and_verifies_elsewhere() {
    let (demo, pubkey) = demo();
    let path = evidence_file(&demo, "payments.json", &[]);
    let evidence = read_json(&path);
    assert_eq!(evidence["format"], "tenure-evidence/1");
    assert_eq!(evidence["secret"], PAYMENTS);
    assert_eq!(evidence["record"]["id"], "payments-token");
    assert_eq!(evidence["record"]["owner"]["status"], "left");
    let approval = &evidence["lineage"]["approval"];
    assert_eq!(approval["by"], "ciso@example.com");
    assert_eq!(approval["at"], "2026-03-02T10:30:00Z");
    assert_eq!(approval["ticket"], "SEC-144");

    // The revoke decision, then the revocation's phases and its proof.
    let decision = entries(&evidence, "decision")[0];
    assert_eq!(decision["data"]["decision"], "revoke");
    assert_eq!(decision["data"]["reasons"], json!(["owner_left"]));
    assert!(
        decision["summary"]
            .as_str()
            .expect("summary")
            .contains("owner_left")
    );
    let phases: Vec<&str> = entries(&evidence, "phase")
        .into_iter()
        .chain(entries(&evidence, "verification"))
        .map(|e| e["data"]["phase"].as_str().expect("phase"))
        .collect();
    for phase in ["disable_in_target", "verify_revoked", "disable_in_vault"] {
        assert!(phases.contains(&phase), "{phase} missing from {phases:?}");
    }
    let proof = entries(&evidence, "verification")[0];
    assert_eq!(proof["data"]["evidence"]["check"], "vault_refuses_read");
    assert!(proof["proof"].as_str().expect("proof").contains("refused"));
    let all = evidence["entries"].as_array().expect("entries");
    for entry in all {
        let hash = entry["hash"].as_str().expect("hash");
        assert_eq!(hash.len(), 64);
        assert_eq!(entry["line"]["hash"], hash, "{entry}");
        assert!(entry["line"]["sig"]["ed25519"].is_string(), "{entry}");
        assert_eq!(entry["secret"], PAYMENTS);
    }
    let seqs = seqs(&evidence);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let chain = &evidence["chain"];
    assert_eq!(chain["result"], "verified", "{chain}");
    assert_eq!(chain["signatures_checked"], true);
    assert_eq!(chain["checkpoint"]["seq"], chain["entries"]);

    // Elsewhere, with only the file and the public key.
    let elsewhere = auditor(&path, "payments.json", &pubkey);
    let ok = verify_in(elsewhere.path(), "payments.json", "tenure-audit.pub.pem");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains(&format!("{} entries of {PAYMENTS}", all.len())),
        "{}",
        stdout(&ok)
    );

    // One entry's data changed: named, exit 3; in its signed line too.
    let revoke_seq = decision["seq"].as_u64().expect("seq");
    for changed in ["data", "line"] {
        let mut forged = evidence.clone();
        let index = all
            .iter()
            .position(|e| e["seq"] == revoke_seq)
            .expect("index");
        let data = if changed == "data" {
            &mut forged["entries"][index]["data"]
        } else {
            &mut forged["entries"][index]["line"]["data"]
        };
        data["reasons"] = json!(["routine"]);
        let file = elsewhere.path().join("forged.json");
        std::fs::write(&file, forged.to_string()).expect("write");
        let bad = verify_in(elsewhere.path(), "forged.json", "tenure-audit.pub.pem");
        assert_eq!(bad.status.code(), Some(3), "{changed}: {}", stdout(&bad));
        assert!(
            stderr(&bad).contains(&format!("forged.json: entry {revoke_seq} (decision")),
            "{changed}: {}",
            stderr(&bad)
        );
    }
}

#[test]
fn the_html_page_is_self_contained_and_verifies_too() {
    let (demo, pubkey) = demo();
    let path = evidence_file(&demo, "payments.html", &["--format", "html"]);
    let page = std::fs::read_to_string(&path).expect("page");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.len() < 200 * 1024, "{} bytes", page.len());
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external reference"
    );
    assert!(!page.contains("<link") && !page.contains(" src="));
    for shown in [
        "payments-token",
        "SEC-144",
        "owner_left",
        "vault_refuses_read",
    ] {
        assert!(page.contains(shown), "{shown} not on the page");
    }
    let json = read_json(&evidence_file(&demo, "payments.json", &[]));
    let decision = entries(&json, "decision")[0]["hash"]
        .as_str()
        .expect("hash");
    assert!(page.contains(decision), "each entry's hash is shown");
    assert!(page.contains(r#"<script type="application/json" id="evidence">"#));

    let elsewhere = auditor(&path, "payments.html", &pubkey);
    let ok = verify_in(elsewhere.path(), "payments.html", "tenure-audit.pub.pem");
    assert!(ok.status.success(), "{}", stderr(&ok));
    // The visible table edited, the embedded document untouched.
    let edited = page.replacen("Decided revoke", "Decided rotate", 1);
    assert_ne!(edited, page);
    std::fs::write(elsewhere.path().join("edited.html"), edited).expect("write");
    let bad = verify_in(elsewhere.path(), "edited.html", "tenure-audit.pub.pem");
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        stderr(&bad).contains("visible part was edited"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn from_and_to_narrow_a_failed_chain_is_exit_3_and_an_unknown_secret_exit_4() {
    let (demo, _) = demo();
    let whole = read_json(&evidence_file(&demo, "all.json", &[]));
    let all = whole["entries"].as_array().expect("entries");
    assert!(all.len() > 2);
    // Cut at the first entry written later than the first.
    let time = |e: &Value| {
        DateTime::parse_from_rfc3339(e["ts"].as_str().expect("ts"))
            .expect("rfc3339")
            .with_timezone(&Utc)
    };
    let cut = all
        .iter()
        .map(time)
        .find(|t| *t > time(&all[0]))
        .expect("entries at two times");
    let cut_text = cut.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let after = read_json(&evidence_file(&demo, "after.json", &["--from", &cut_text]));
    let before = read_json(&evidence_file(&demo, "before.json", &["--to", &cut_text]));
    let expect = |keep: &dyn Fn(DateTime<Utc>) -> bool| -> Vec<u64> {
        all.iter()
            .filter(|e| keep(time(e)))
            .map(|e| e["seq"].as_u64().expect("seq"))
            .collect()
    };
    assert_eq!(seqs(&after), expect(&|t| t >= cut));
    assert_eq!(seqs(&before), expect(&|t| t < cut));
    assert!(!seqs(&after).is_empty() && !seqs(&before).is_empty());
    assert_eq!(after["window"]["from"], cut_text);

    // A trail edited in place: the evidence is still written, says the
    // chain failed, exits 3; and does not verify elsewhere.
    let pubkey = stdout(&demo.ok(&["audit", "pubkey"]));
    let trail = std::fs::read_to_string(demo.audit()).expect("trail");
    std::fs::write(demo.audit(), trail.replacen("owner_left", "routine", 1)).expect("edit");
    let failed = demo.dir.path().join("failed.json");
    let out = demo.run(&[
        "evidence",
        PAYMENTS,
        "--output",
        failed.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the audit trail failed verification"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read_json(&failed)["chain"]["result"], "failed");
    let elsewhere = auditor(&failed, "failed.json", &pubkey);
    let bad = verify_in(elsewhere.path(), "failed.json", "tenure-audit.pub.pem");
    assert_eq!(bad.status.code(), Some(3));

    let unknown = demo.run(&["evidence", "local:no/such-secret"]);
    assert_eq!(unknown.status.code(), Some(4), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("no governance record governs it"));
}

#[tokio::test]
async fn the_service_answers_evidence_as_json_and_html() {
    let service = Service::start().await;
    let reports = "local:demo/reports-token";
    let path = "/v1/secrets/local%3Ademo%2Freports-token/evidence";
    let status = service
        .send_event(
            "ev-dana",
            "evt-dana-left",
            "io.tenure.owner.left",
            json!({ "owner": "dana@example.com" }),
        )
        .await;
    assert_eq!(status, 202);
    let deadline = Deadline::after(Duration::from_secs(10), Duration::from_millis(100));
    while service.status_of(reports).await != "revoked" {
        deadline
            .wait(|| format!("not revoked:\n{}", service.log()))
            .await;
    }

    // The revocation's last phase is written before the status changes:
    // wait for it in the evidence.
    let evidence = loop {
        let response = service.admin(Method::GET, path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let evidence: Value = response.json().await.expect("json");
        if !entries(&evidence, "verification").is_empty() {
            break evidence;
        }
        deadline
            .wait(|| "no proof in the evidence".to_owned())
            .await;
    };
    assert_eq!(evidence["secret"], reports);
    assert_eq!(
        evidence["record"]["owner"]["status"], "left",
        "the signal layered over the files"
    );
    let event = entries(&evidence, "event");
    assert_eq!(
        event.len(),
        1,
        "the owner-left event is the secret's evidence"
    );
    assert_eq!(event[0]["relation"], "signal");
    assert!(entries(&evidence, "decision").iter().any(
        |d| d["data"]["decision"] == "revoke" && d["data"]["reasons"] == json!(["owner_left"])
    ));

    let response = service
        .admin(Method::GET, &format!("{path}?format=html"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let page = response.text().await.expect("page");
    let pubkey = stdout(&service.demo.ok(&["audit", "pubkey"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("reports.html");
    std::fs::write(&file, &page).expect("write");
    let elsewhere = auditor(&file, "reports.html", &pubkey);
    let ok = verify_in(elsewhere.path(), "reports.html", "tenure-audit.pub.pem");
    assert!(ok.status.success(), "{}", stderr(&ok));

    for (query, expected) in [
        ("/v1/secrets/local%3Ano%2Fsuch/evidence", 404),
        (
            "/v1/secrets/local%3Ademo%2Freports-token/evidence?format=pdf",
            400,
        ),
        (
            "/v1/secrets/local%3Ademo%2Freports-token/evidence?from=yesterday",
            400,
        ),
    ] {
        let response = service.admin(Method::GET, query).await;
        assert_eq!(response.status(), expected, "{query}");
    }
    assert_eq!(service.get(path).await.status(), 401, "a token is needed");
}
