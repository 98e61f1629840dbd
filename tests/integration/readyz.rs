//! `/readyz` says whether the service can work, and never why not: with
//! its PostgreSQL state store cut off it answers 503 "not ready" (the
//! cause, which names the server, goes to the log only), and ready again
//! once the store is back.

use std::time::Duration;

use crate::common::service::Service;
use crate::common::sql::{new_database, pg_address, pg_admin_url, proxied};
use crate::common::{Deadline, Demo};

/// `GET /readyz`: status and body.
async fn readyz(service: &Service) -> (u16, String) {
    let response = service.get("/readyz").await;
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Polls `/readyz` until it answers `status`.
async fn until(service: &Service, status: u16) -> String {
    let deadline = Deadline::after(Duration::from_secs(30), Duration::from_millis(200));
    loop {
        let (now, body) = readyz(service).await;
        if now == status {
            return body;
        }
        deadline
            .wait(|| format!("readyz stays {now}: {body}\n{}", service.log()))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_not_ready_without_the_cause_while_the_state_store_is_down() {
    let Some(admin) = pg_admin_url() else {
        return;
    };
    let (pool, db, url) = new_database(&admin, "tenure_readyz").await;
    let (host, port) = pg_address(&admin);
    let (proxy, through_proxy) = proxied(&url, &host, port).await;

    let demo = Demo::new();
    let service_config = demo.config.with_file_name("examples/service.toml");
    std::fs::write(service_config.with_file_name("state-url"), &through_proxy).expect("url");
    let text = std::fs::read_to_string(&service_config).expect("example");
    std::fs::write(
        &service_config,
        text.replacen(
            "[tenure]\n",
            "[tenure]\nstate_url = { file = \"state-url\" }\n",
            1,
        ),
    )
    .expect("config");
    let service = Service::start_demo(demo).await;
    assert_eq!(until(&service, 200).await, "ready\n");

    proxy.stop().await;
    let body = until(&service, 503).await;
    assert_eq!(body, "not ready\n", "the answer names no cause");
    assert!(
        service
            .log()
            .contains("Not ready: the state store does not answer."),
        "the cause is logged:\n{}",
        service.log()
    );

    proxy.start().await;
    assert_eq!(until(&service, 200).await, "ready\n");
    drop(service);
    let _ = sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .execute(&pool)
        .await;
}
