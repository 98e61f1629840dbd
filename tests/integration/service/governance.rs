//! Governance reloads in the running service: the files are reloaded and
//! the last good ones kept, and a schedule added by a reload gets its cron
//! trigger.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::REPORTS;
use crate::common::service::Service;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_updated_reloads_the_files_and_keeps_the_last_good_ones() {
    let service = Service::start().await;
    let records = service
        .demo
        .config
        .with_file_name("../governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    // A broken file is refused; the running governance stays.
    std::fs::write(&records, format!("{text}\n[[records]]\nid = \"broken\"\n")).expect("write");
    let reload = |id: &str| Service::event(id, "io.tenure.governance.updated", Value::Null);
    assert_eq!(
        service
            .post_signed("msg_reload_bad", reload("reload-bad"))
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !service.log().contains("Governance reload refused") {
        assert!(Instant::now() < deadline, "{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    assert_eq!(
        service
            .post_signed("msg_reload_good", reload("reload-good"))
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while service.demo.get("demo/reports-token") == before {
        assert!(
            Instant::now() < deadline,
            "not rotated after the reload:\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(service.log().contains("Reloaded governance"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_added_by_a_governance_reload_gets_its_cron_trigger() {
    let service = Service::start().await;
    let records = service
        .demo
        .config
        .with_file_name("../governance/records.toml");
    let text = std::fs::read_to_string(&records).expect("records");
    let scheduled = text.replacen(
        "secrets = \"local:demo/reports-token\"",
        "secrets = \"local:demo/reports-token\"\nschedule = \"0 3 * * *\"",
        1,
    );
    assert_ne!(scheduled, text);
    std::fs::write(&records, scheduled).expect("write");
    let reload = Service::event("reload-cron", "io.tenure.governance.updated", Value::Null);
    assert_eq!(
        service
            .post_signed("msg_reload_cron", reload)
            .await
            .status(),
        202
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !service
        .log()
        .contains("Cron triggers follow the reloaded governance")
    {
        assert!(Instant::now() < deadline, "{}", service.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
