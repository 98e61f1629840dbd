//! `/readyz` says whether the service can work, and never why not: with
//! its PostgreSQL state store cut off it answers 503 "not ready" (the
//! cause, which names the server, goes to the log only), and ready again
//! once the store is back.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use crate::common::Demo;
use crate::common::proxy::Proxy;
use crate::common::service::Service;

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

/// `GET /readyz`: status and body.
async fn readyz(service: &Service) -> (u16, String) {
    let response = service
        .http
        .get(format!("{}/readyz", service.base))
        .send()
        .await
        .expect("readyz");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Polls `/readyz` until it answers `status`.
async fn until(service: &Service, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (now, body) = readyz(service).await;
        if now == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "readyz stays {now}: {body}\n{}",
            service.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_says_not_ready_without_the_cause_while_the_state_store_is_down() {
    let Some(admin) = tenure_testkit::service_url("TENURE_TEST_PG_URL") else {
        return;
    };
    let db = format!("tenure_readyz_{}", uuid::Uuid::new_v4().simple());
    let pool = PgPool::connect(&admin).await.expect("admin");
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&pool)
        .await
        .expect("create db");
    let options = PgConnectOptions::from_str(&admin).expect("url");
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start_to(server.parse().expect("addr")).await;
    let through_proxy = with_database(&admin, &db).replacen(&server, &proxy.addr.to_string(), 1);

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
