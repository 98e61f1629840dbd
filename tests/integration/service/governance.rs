//! Governance reloads in the running service: the files are reloaded and
//! the last good ones kept, and a schedule added by a reload gets its cron
//! trigger.

use std::time::Duration;

use serde_json::Value;

use super::REPORTS;
use crate::common::service::Service;
use crate::common::{Deadline, edit_file};

/// Asks the service to reload its governance files: the event `id`,
/// delivered as `msg_<id>` (with `-` as `_`), accepted.
async fn reload(service: &Service, id: &str) {
    let delivery = format!("msg_{}", id.replace('-', "_"));
    let status = service
        .send_event(&delivery, id, "io.tenure.governance.updated", Value::Null)
        .await;
    assert_eq!(status, 202);
}

/// Waits until the service's log holds `text` (5 s at most).
async fn until_logged(service: &Service, text: &str) {
    let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
    while !service.log().contains(text) {
        deadline.wait(|| service.log()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_updated_reloads_the_files_and_keeps_the_last_good_ones() {
    let service = Service::start().await;
    let records = service.records();
    let text = std::fs::read_to_string(&records).expect("records");
    // A broken file is refused; the running governance stays.
    std::fs::write(&records, format!("{text}\n[[records]]\nid = \"broken\"\n")).expect("write");
    reload(&service, "reload-bad").await;
    until_logged(&service, "Governance reload refused").await;
    assert_eq!(service.status_of(REPORTS).await, "active");
    // A good change applies: reports-token (5 days old) now has a 1-day max age.
    let shorter = text.replacen(
        "secrets = \"local:demo/reports-token\"\ntarget = \"generated\"\nowner = \"dana@example.com\"\npurpose = \"Reporting service token\"\nworkloads = [\"reports\"]\nmax_age = \"30d\"\nrenew_before = \"3d\"",
        "secrets = \"local:demo/reports-token\"\ntarget = \"generated\"\nowner = \"dana@example.com\"\npurpose = \"Reporting service token\"\nworkloads = [\"reports\"]\nmax_age = \"1d\"\nrenew_before = \"1h\"",
        1,
    );
    assert_ne!(shorter, text);
    std::fs::write(&records, shorter).expect("write");
    let before = service.demo.get("demo/reports-token");
    reload(&service, "reload-good").await;
    service
        .until_changed(
            "demo/reports-token",
            &before,
            "not rotated after the reload",
        )
        .await;
    assert!(service.log().contains("Reloaded governance"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_added_by_a_governance_reload_gets_its_cron_trigger() {
    let service = Service::start().await;
    edit_file(
        &service.records(),
        "secrets = \"local:demo/reports-token\"",
        "secrets = \"local:demo/reports-token\"\nschedule = \"0 3 * * *\"",
    );
    reload(&service, "reload-cron").await;
    until_logged(&service, "Cron triggers follow the reloaded governance").await;
}
