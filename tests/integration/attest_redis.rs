//! Attestation against a real Redis behind a proxy that can stop: a retired
//! password given back to the user by hand is retired again, and drift
//! made by hand is found and repaired in one pass.

use redis::Value as Reply;
use serde_json::{Value, json};
use tenure_testkit::{service_url, unique_name};

use crate::common;
use crate::common::drift::{Bed, Server, scenarios};
use crate::common::proxy::Proxy;

struct Redis {
    url: String,
    user: String,
    keys: String,
}

impl Redis {
    async fn admin(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .expect("admin")
    }

    async fn acl(&self, args: &[&str]) -> Reply {
        let mut admin = self.admin().await;
        redis::cmd("ACL")
            .arg(args)
            .query_async(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("ACL {args:?}: {e}"))
    }

    /// A field of `ACL GETUSER`, as text.
    async fn field(&self, name: &str) -> String {
        let reply = self.acl(&["GETUSER", &self.user]).await;
        let text = |v: &Reply| match v {
            Reply::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            Reply::SimpleString(s) => s.clone(),
            Reply::Array(items) => items
                .iter()
                .filter_map(|i| match i {
                    Reply::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        };
        let pairs: Vec<(String, String)> = match &reply {
            Reply::Array(items) => items
                .chunks(2)
                .map(|p| (text(&p[0]), text(&p[1])))
                .collect(),
            Reply::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), text(v))).collect(),
            _ => Vec::new(),
        };
        pairs
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Server for Redis {
    async fn change_password(&self) {
        self.acl(&["SETUSER", &self.user, "resetpass", ">changed-by-hand"])
            .await;
    }
    async fn grant_extra(&self) {
        self.acl(&["SETUSER", &self.user, "+set"]).await;
    }
    async fn holds_extra(&self) -> bool {
        self.field("commands").await.contains("+set")
    }
    async fn remove_approved(&self) {
        self.acl(&["SETUSER", &self.user, "-get"]).await;
    }
    async fn restore_approved(&self) {
        self.acl(&["SETUSER", &self.user, "+get"]).await;
    }
    async fn reenable(&self) {
        self.acl(&["SETUSER", &self.user, "on"]).await;
    }
    async fn enabled(&self) -> bool {
        self.field("flags").await.split(' ').any(|f| f == "on")
    }
    async fn logs_in(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).expect("json");
        let url = self.url.replacen(
            "redis://",
            &format!(
                "redis://{}:{}@",
                value["username"].as_str().expect("username"),
                value["password"].as_str().expect("password")
            ),
            1,
        );
        redis::Client::open(url.as_str())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .is_ok()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_user_drift_is_found_and_repaired() {
    let Some(url) = service_url("TENURE_TEST_REDIS_URL") else {
        return;
    };
    let user = unique_name("drift_redis");
    let redis = Redis {
        url: url.clone(),
        keys: format!("~{user}:*"),
        user: user.clone(),
    };
    redis
        .acl(&[
            "SETUSER",
            &user,
            "reset",
            "on",
            ">initial-password",
            &redis.keys,
            "+get",
        ])
        .await;
    let info: redis::ConnectionInfo =
        redis::IntoConnectionInfo::into_connection_info(url.as_str()).expect("url");
    let upstream = match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        other => panic!("unexpected {other:?}"),
    }
    .parse()
    .expect("addr");
    let proxy = Proxy::start_to(upstream).await;
    let path = format!("cache/{user}");
    let config = common::drift::config(
        &path,
        "redis",
        "type = \"redis\"\nadmin_url = { env = \"DRIFT_REDIS_ADMIN_URL\" }\nconnect_timeout = \"3s\"",
        &user,
        &["+get".to_owned(), redis.keys.clone()],
    );
    let admin = format!("redis://{}", proxy.addr);
    let bed = Bed::new(&config, &[("DRIFT_REDIS_ADMIN_URL", admin.as_str())]);
    bed.put(
        &path,
        &json!({
            "username": user, "password": "initial-password",
            "host": "127.0.0.1", "port": proxy.addr.port(),
        })
        .to_string(),
    )
    .await;

    // A retired password given back by hand is retired again.
    let secret = format!("local:{path}");
    let initial = bed.get(&path).await;
    bed.ok(&["rotate", secret.as_str()]).await;
    assert!(!redis.logs_in(&initial).await, "the retired password works");
    redis.acl(&["SETUSER", &user, ">initial-password"]).await;
    assert!(redis.logs_in(&initial).await);
    bed.until_due().await;
    bed.pass_saying(&format!(
        "{secret}: attestation found retired_credential_alive."
    ))
    .await;
    assert!(!redis.logs_in(&initial).await, "not retired again");
    assert!(redis.logs_in(&bed.get(&path).await).await);
    let proofs = bed.proofs(&secret, "retired_credential_refused");
    let proof = proofs.last().expect("proof");
    assert_eq!(
        proof["data"]["evidence"]["logins"][0]["detail"], "flags: on, the current password only",
        "{proof}"
    );

    scenarios(&bed, &redis, &proxy, &path).await;
}
