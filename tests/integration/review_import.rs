//! `tenure review import FILE` on the demo: a review tool's CSV export
//! becomes the records' review lineage (shown by `tenure plan`); a file
//! with one bad row is refused whole, each bad row named by its line, and
//! stores nothing; importing the same file again changes nothing.

use serde_json::Value;

use crate::common::{Demo, stderr, stdout, succeeded, tenure};

/// The `reports-token` line of `tenure plan --format json`.
fn reports_line(demo: &Demo) -> Value {
    let args = ["plan", "--format", "json"];
    let out = succeeded(&args, tenure(&demo.config, &args).output().expect("plan"));
    let plan: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("json");
    plan.into_iter()
        .find(|e| e["record"] == "reports-token")
        .expect("reports-token in the plan")
}

#[test]
fn a_csv_export_becomes_the_lineage_and_a_bad_row_refuses_the_file() {
    let demo = Demo::new();
    let dir = demo.dir.path();

    // One good row and two bad ones: nothing is imported.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "record,reviewer,decision,scopes,next_review,ticket\n\
         reports-token,rita@example.com,keep,,2099-01-01T00:00:00Z,GRC-1\n\
         no-such-record,rita@example.com,keep,,,\n\
         orders-db,rita@example.com,narrow,,,\n",
    )
    .expect("write");
    let out = tenure(
        &demo.config,
        &["review", "import", bad.to_str().expect("utf-8")],
    )
    .output()
    .expect("import");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let errors = stderr(&out);
    assert!(
        errors.contains("bad.csv:3: no record \"no-such-record\""),
        "{errors}"
    );
    assert!(
        errors.contains("bad.csv:4: a narrow decision needs the scopes"),
        "{errors}"
    );
    assert!(reports_line(&demo).get("last_review").is_none());

    // A good file: the lineage shows it; again: nothing new.
    let good = dir.join("reviews.csv");
    std::fs::write(
        &good,
        "Record, Reviewer, Decision, Scopes, Next_Review, Reviewed_At, Ticket, Comment\n\
         reports-token,rita@example.com,Keep,,2099-01-01T00:00:00Z,2026-11-30T09:00:00Z,GRC-1,fine\n",
    )
    .expect("write");
    let args = [
        "review",
        "import",
        good.to_str().expect("utf-8"),
        "--actor",
        "grc-export",
    ];
    let out = succeeded(&args, tenure(&demo.config, &args).output().expect("import"));
    assert!(
        stdout(&out).contains("1 reviews imported, 0 imported before"),
        "{}",
        stdout(&out)
    );
    let line = reports_line(&demo);
    assert_eq!(
        line["last_review"]["reviewer"], "rita@example.com",
        "{line}"
    );
    assert_eq!(line["last_review"]["ticket"], "GRC-1", "{line}");
    assert_eq!(line["last_review"]["submitted_by"], "grc-export", "{line}");
    assert_eq!(line["review_by"], "2099-01-01T00:00:00Z", "{line}");
    let out = succeeded(&args, tenure(&demo.config, &args).output().expect("again"));
    assert!(
        stdout(&out).contains("0 reviews imported, 1 imported before"),
        "{}",
        stdout(&out)
    );
}
