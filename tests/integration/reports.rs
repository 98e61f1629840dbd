//! Black-box tests of `tenure plan --fail-on` (a pipeline gate) and
//! `tenure report` (control reports for a framework) on the demo: the
//! overdue, revoked and excepted secrets named with their audit entries,
//! the measured time to revoke of an owner-left event sent to the running
//! service, CSV that parses, and framework files checked with file, line
//! and key.

use std::time::Duration;

use chrono::Timelike;
use serde_json::{Value, json};

use crate::common::service::Service;
use crate::common::{Deadline, Demo, stderr, stdout};

/// A `[schedule]` whose only window is hours away: rotations wait,
/// revocations do not.
fn closed_window() -> String {
    let hour = (chrono::Utc::now().hour() + 3) % 24;
    format!("\n[schedule]\nwindows = [\"{hour:02}:00-{hour:02}:30\"]\n")
}

/// Every hash in the demo's trail.
fn trail_hashes(demo: &Demo) -> Vec<String> {
    std::fs::read_to_string(demo.audit())
        .expect("trail")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("entry");
            v["hash"].as_str().expect("hash").to_owned()
        })
        .collect()
}

fn control<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id}"))
}

fn report_json(demo: &Demo, framework: &str) -> Value {
    let out = demo.ok(&["report", "--framework", framework, "--format", "json"]);
    serde_json::from_str(&stdout(&out)).expect("report JSON")
}

#[test]
fn plan_fail_on_exits_1_naming_how_many_of_each() {
    let demo = Demo::new();
    let out = demo.run(&["plan", "--fail-on", "revoke,narrow,escalate"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("local:api/payments-token"),
        "the plan is printed as usual"
    );
    assert!(
        stderr(&out).contains("plan --fail-on: 1 escalate, 2 revoke (3 in all)"),
        "{}",
        stderr(&out)
    );
    // Nothing listed is found: 0, and nothing on stderr about it.
    let out = demo.run(&["plan", "--fail-on", "narrow,retire"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("--fail-on"));
    // JSON output gates the same way.
    let out = demo.run(&["plan", "--format", "json", "--fail-on", "rotate"]);
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_str::<Value>(&stdout(&out)).expect("still JSON on stdout");
    // A word that is no decision is a usage error.
    let out = demo.run(&["plan", "--fail-on", "revoke,panic"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn pci_report_names_overdue_revoked_and_excepted_secrets_with_their_entries() {
    let demo = Demo::new();
    demo.append(&closed_window());
    demo.run(&["run", "--once"]);
    let hashes = trail_hashes(&demo);
    let file = demo.dir.path().join("pci.html");
    let file_arg = file.to_str().expect("path");
    let out = demo.ok(&[
        "report",
        "--framework",
        "pci-dss-4.0",
        "--format",
        "html",
        "--output",
        file_arg,
    ]);
    assert!(
        stdout(&out).contains("3 controls of pci-dss-4.0"),
        "{}",
        stdout(&out)
    );
    let html = std::fs::read_to_string(&file).expect("html");
    assert!(html.len() < 200 * 1024, "{} bytes", html.len());
    assert!(html.starts_with("<!DOCTYPE html>"));
    for absent in ["<script", "src=", "href=\"http", "<link"] {
        assert!(!html.contains(absent), "self-contained: {absent}");
    }
    // Overdue (the rotation waits for its window), revoked, excepted.
    for named in [
        "local:db/orders",
        "max_age_exceeded",
        "local:api/payments-token",
        "local:legacy/ftp-password",
        "workload_decommissioned",
        "local:vendor/sftp-key",
        "Vendor cannot rotate until their platform migration",
        "2029-03-31T00:00:00Z",
    ] {
        assert!(html.contains(named), "the report names {named}");
    }

    let report = report_json(&demo, "pci-dss-4.0");
    let is_entry = |v: &Value| hashes.iter().any(|h| v == h);
    let rotation = control(&report, "8.3.9");
    assert_eq!(rotation["status"], "fail");
    let overdue = rotation["out_of_policy"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["secret"] == "local:db/orders")
        .expect("db/orders is overdue");
    assert!(
        overdue["why"].to_string().contains("max_age_exceeded"),
        "{overdue}"
    );
    assert!(is_entry(&overdue["evidence"]), "{overdue}");
    let exception = &rotation["exceptions"][0];
    assert_eq!(exception["secret"], "local:vendor/sftp-key");
    assert_eq!(exception["approved_by"], "ciso@example.com");
    assert_eq!(exception["until"], "2029-03-31T00:00:00Z");
    assert!(is_entry(&exception["evidence"]), "{exception}");

    let departed = control(&report, "8.6.3");
    let ttr = &departed["time_to_revoke"];
    let events = ttr["events"].as_array().expect("events");
    for (secret, cause) in [
        ("local:api/payments-token", "owner_left"),
        ("local:legacy/ftp-password", "workload_decommissioned"),
    ] {
        let e = events
            .iter()
            .find(|e| e["secret"] == secret)
            .unwrap_or_else(|| panic!("{secret} revoked: {ttr}"));
        assert_eq!(e["cause"], cause);
        assert_eq!(e["status"], "met", "{e}");
        assert!(
            is_entry(&e["cause_entry"]) && is_entry(&e["proof_entry"]),
            "{e}"
        );
        assert_eq!(e["proof_check"], "vault_refuses_read");
    }
    assert_eq!(ttr["proven"], 2);
    assert_eq!(ttr["open"], 0);
    for p in ["p50_seconds", "p90_seconds", "p99_seconds", "max_seconds"] {
        assert!(ttr[p].is_i64(), "{p}: {ttr}");
    }
    // The window leaves them out when it ends before them.
    let out = demo.ok(&[
        "report",
        "--framework",
        "pci-dss-4.0",
        "--format",
        "json",
        "--to",
        "2020-01-01T00:00:00Z",
    ]);
    let early: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(
        control(&early, "8.6.3")["time_to_revoke"]["events"],
        json!([])
    );
    assert!(control(&early, "8.6.3")["time_to_revoke"]["p50_seconds"].is_null());
}

#[test]
fn csv_parses_one_row_per_control_and_finding() {
    let demo = Demo::new();
    demo.ok(&["run", "--once"]);
    let out = demo.ok(&["report", "--framework", "soc2", "--format", "csv"]);
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(&header[0], "framework");
    assert_eq!(header.len(), 16);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let summaries: Vec<&str> = rows
        .iter()
        .filter(|r| &r[4] == "summary")
        .map(|r| &r[1])
        .collect();
    assert_eq!(summaries, ["CC6.1", "CC6.2", "CC6.3"]);
    assert!(
        rows.iter().any(|r| &r[1] == "CC6.2"
            && &r[4] == "revocation"
            && &r[5] == "local:api/payments-token"),
        "{text}"
    );
    assert!(
        rows.iter()
            .any(|r| &r[4] == "out_of_policy" && &r[5] == "local:tmp/forgotten-key")
    );
}

#[test]
fn every_built_in_framework_reports_and_unavailable_is_never_compliant() {
    let demo = Demo::new();
    for framework in ["pci-dss-4.0", "nist-800-53", "soc2"] {
        let report = report_json(&demo, framework);
        assert!(
            report["summary"]["controls"].as_u64() >= Some(3),
            "{framework}"
        );
    }
    // No aws_iam target in the demo: CIS has nothing in scope, and says so.
    let cis = report_json(&demo, "cis-aws-foundations");
    assert_eq!(control(&cis, "2.11")["status"], "empty");
    assert_eq!(control(&cis, "2.12")["status"], "empty");
    // An unused_days control over the demo's secrets: no target reports
    // last use, so each is unavailable, never compliant.
    let dir = demo.dir.path().join("frameworks");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("unused.toml"),
        "title = \"Unused\"\n[[controls]]\nid = \"U\"\ntitle = \"u\"\nrequirement = \"r\"\nunused_days = 45\n",
    )
    .expect("write");
    let out = demo.ok(&[
        "report",
        "--framework",
        "unused",
        "--frameworks",
        dir.to_str().expect("dir"),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let u = control(&report, "U");
    assert_eq!(u["status"], "unavailable");
    assert!(
        u["in_scope"]
            .as_array()
            .expect("scope")
            .iter()
            .all(|m| m["status"] == "unavailable"),
        "{u}"
    );
    assert_eq!(
        report["source"],
        dir.join("unused.toml").display().to_string()
    );
}

#[test]
fn unknown_and_mistaken_frameworks_are_refused_clearly() {
    let demo = Demo::new();
    let out = demo.run(&["report", "--framework", "iso-27001"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "unknown framework \"iso-27001\"; known: cis-aws-foundations, nist-800-53, pci-dss-4.0, soc2"
        ),
        "{}",
        stderr(&out)
    );
    let dir = demo.dir.path().join("frameworks");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("mine.toml");
    std::fs::write(
        &file,
        "title = \"Mine\"\n\n[[controls]]\nid = \"M-1\"\ntitle = \"t\"\nrequirement = \"r\"\nout_of_policy = [\"owner_left\", \"too_old\"]\n",
    )
    .expect("write");
    let out = demo.run(&[
        "report",
        "--framework",
        "mine",
        "--frameworks",
        dir.to_str().expect("dir"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let expected = format!(
        "{}:7:32: controls[0].out_of_policy[1]: unknown reason \"too_old\"",
        file.display()
    );
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    // The user's folder is listed among the known ones.
    let out = demo.run(&[
        "report",
        "--framework",
        "nope",
        "--frameworks",
        dir.to_str().expect("dir"),
    ]);
    assert!(
        stderr(&out).contains("known: cis-aws-foundations, mine, nist-800-53"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn an_owner_left_event_is_measured_from_its_receipt_to_the_proof() {
    const REPORTS: &str = "local:demo/reports-token";
    let service = Service::start().await;
    let status = service
        .send_event(
            "msg_report_dana",
            "evt-report-dana",
            "io.tenure.owner.left",
            json!({ "owner": "dana@example.com" }),
        )
        .await;
    assert_eq!(status, 202);
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while service.status_of(REPORTS).await != "revoked" {
        deadline
            .wait(|| format!("not revoked:\n{}", service.log()))
            .await;
    }
    let event_hash = service.audit_events()[0]["hash"].clone();
    let report = report_json(&service.demo, "soc2");
    let ttr = &control(&report, "CC6.2")["time_to_revoke"];
    let e = ttr["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["secret"] == REPORTS)
        .unwrap_or_else(|| panic!("{REPORTS} measured: {ttr}"));
    assert_eq!(e["source"], "event", "{e}");
    let id = e["event_id"].as_str().expect("event id");
    assert!(id.ends_with("evt-report-dana"), "{id}");
    assert_eq!(e["cause_entry"], event_hash);
    assert_eq!(e["status"], "met");
    let took = e["seconds"].as_i64().expect("seconds");
    assert!((0..=5).contains(&took), "{e}");
    assert!(ttr["p50_seconds"].as_i64().is_some() && ttr["max_seconds"].as_i64() >= Some(took));
}
