//! A running `tenure run` on `config/examples/service.toml` (a private
//! copy of the demo), with an HTTP client, a webhook signer and readers for
//! its log, audit trail and metrics.

use std::process::{Child, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tenure::events::WebhookKey;

use super::{Deadline, Demo};

pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

pub struct Service {
    pub demo: Demo,
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
    pub key: WebhookKey,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

pub const EVENTGRID_KEY: &str = "test-eventgrid-key-0123456789";

impl Service {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// Starts the example with `server_extra` added to its `[server]` table.
    pub async fn start_with(server_extra: &str) -> Self {
        Self::start_edited(server_extra, "").await
    }

    /// Starts the example with `server_extra` added to its `[server]` table
    /// and `tables` appended to the file.
    pub async fn start_edited(server_extra: &str, tables: &str) -> Self {
        Self::start_full(server_extra, tables, &[]).await
    }

    /// As [`Service::start_edited`], with extra environment variables.
    pub async fn start_full(server_extra: &str, tables: &str, env: &[(&str, &str)]) -> Self {
        Self::launch(Demo::new(), server_extra, tables, env, None).await
    }

    /// Starts the example on a prepared copy of the demo.
    pub async fn start_demo(demo: Demo) -> Self {
        Self::launch(demo, "", "", &[], None).await
    }

    /// Starts the example on a prepared copy of the demo with `tables`
    /// appended and extra environment variables.
    pub async fn start_demo_with(demo: Demo, tables: &str, env: &[(&str, &str)]) -> Self {
        Self::launch(demo, "", tables, env, None).await
    }

    /// `path` on the service.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`, without a token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("get")
    }

    /// A request for `method path` with the admin token, to complete.
    pub fn admin_request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// `method path` with the admin token.
    pub async fn admin(&self, method: Method, path: &str) -> reqwest::Response {
        self.admin_request(method, path)
            .send()
            .await
            .expect("admin request")
    }

    /// `GET path` with the admin token, read as JSON.
    /// `method path` with `token`; the status and the JSON body.
    pub async fn call(&self, method: Method, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_json<T: DeserializeOwned>(&self, path: &str) -> T {
        self.admin(Method::GET, path)
            .await
            .json()
            .await
            .expect("json")
    }

    /// Posts the event `id` of type `kind` with `data`, signed, delivered
    /// as `delivery`; the status of the answer.
    pub async fn send_event(&self, delivery: &str, id: &str, kind: &str, data: Value) -> u16 {
        let body = Self::event(id, kind, data);
        self.post_signed(delivery, body).await.status().as_u16()
    }

    /// Waits (5 s at most) until the local secret `path` holds another
    /// value than `before`; `what` says what failed.
    pub async fn until_changed(&self, path: &str, before: &str, what: &str) {
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        while self.demo.get(path) == before {
            deadline.wait(|| format!("{what}:\n{}", self.log())).await;
        }
    }

    /// The demo's governance records file (the running service reads it).
    pub fn records(&self) -> std::path::PathBuf {
        self.demo
            .config
            .with_file_name("../governance/records.toml")
    }

    /// The decision and reasons `GET /v1/plan` gives `secret` now.
    pub async fn planned(&self, secret: &str) -> (String, Vec<String>) {
        let plan: Vec<Value> = self.admin_json("/v1/plan").await;
        let entry = plan
            .into_iter()
            .find(|e| e["secret"] == secret)
            .unwrap_or_else(|| panic!("{secret} not in the plan"));
        let reasons = entry["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|r| r.as_str().unwrap_or_default().to_owned())
            .collect();
        (
            entry["decision"].as_str().unwrap_or_default().to_owned(),
            reasons,
        )
    }

    /// Starts the example over HTTPS with `cert` and `key` (PEM files), trusting `ca_pem`.
    pub async fn start_tls(
        demo: Demo,
        cert: &std::path::Path,
        key: &std::path::Path,
        ca_pem: &str,
    ) -> Self {
        let extra = format!(
            "tls_cert = {:?}\ntls_key = {:?}",
            cert.display().to_string(),
            key.display().to_string()
        );
        Self::launch(demo, &extra, "", &[], Some(ca_pem)).await
    }

    async fn launch(
        demo: Demo,
        server_extra: &str,
        tables: &str,
        env: &[(&str, &str)],
        ca_pem: Option<&str>,
    ) -> Self {
        Self::launch_limited(demo, server_extra, tables, env, ca_pem, None).await
    }

    /// Starts the example with at most `nofile` open file descriptors.
    pub async fn start_with_nofile(server_extra: &str, tables: &str, nofile: u32) -> Self {
        Self::launch_limited(Demo::new(), server_extra, tables, &[], None, Some(nofile)).await
    }

    async fn launch_limited(
        mut demo: Demo,
        server_extra: &str,
        tables: &str,
        env: &[(&str, &str)],
        ca_pem: Option<&str>,
        nofile: Option<u32>,
    ) -> Self {
        let config = demo.config.with_file_name("examples/service.toml");
        let port = free_port();
        let text = std::fs::read_to_string(&config).expect("example");
        assert!(text.contains("listen = \"127.0.0.1:8787\""));
        let text = text.replace(
            "listen = \"127.0.0.1:8787\"",
            &format!("listen = \"127.0.0.1:{port}\"\n{server_extra}"),
        );
        std::fs::write(&config, format!("{text}\n{tables}\n")).expect("write");
        let log = std::fs::File::create(demo.dir.path().join("service.log")).expect("log");
        let mut command = match nofile {
            // The shell lowers the limit, then becomes tenure.
            Some(limit) => {
                let mut sh = std::process::Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(env!("CARGO_BIN_EXE_tenure"));
                sh
            }
            None => std::process::Command::new(env!("CARGO_BIN_EXE_tenure")),
        };
        let child = command
            .arg("-c")
            .arg(&config)
            .arg("run")
            .env("TENURE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("TENURE_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TENURE_EVENTGRID_KEY", EVENTGRID_KEY)
            .env_remove("TENURE_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn tenure");
        // `demo.get` and `demo.run` now use the service's config.
        demo.config = config;
        let (scheme, http) = match ca_pem {
            Some(pem) => (
                "https",
                reqwest::Client::builder()
                    .add_root_certificate(
                        reqwest::Certificate::from_pem(pem.as_bytes()).expect("ca"),
                    )
                    .build()
                    .expect("client"),
            ),
            None => ("http", reqwest::Client::new()),
        };
        let service = Self {
            demo,
            child,
            base: format!("{scheme}://127.0.0.1:{port}"),
            http,
            key: WebhookKey::parse(WEBHOOK_SECRET).expect("key"),
        };
        service.wait_ready().await;
        service
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.demo.dir.path().join("service.log")).unwrap_or_default()
    }

    pub fn state(&self) -> std::path::PathBuf {
        self.demo
            .dir
            .path()
            .canonicalize()
            .expect("dir")
            .join(".tenure-service")
    }

    pub fn audit(&self) -> String {
        std::fs::read_to_string(self.state().join("audit.jsonl")).unwrap_or_default()
    }

    pub async fn wait_ready(&self) {
        let deadline = Deadline::after(Duration::from_secs(30), Duration::from_millis(50));
        loop {
            if let Ok(r) = self.http.get(self.url("/readyz")).send().await
                && r.status() == 200
            {
                return;
            }
            deadline
                .wait(|| format!("not ready in 30s:\n{}", self.log()))
                .await;
        }
    }

    pub fn event(id: &str, kind: &str, data: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "specversion": "1.0",
            "id": id,
            "source": "/tests/hr",
            "type": kind,
            "time": chrono::Utc::now().to_rfc3339(),
            "datacontenttype": "application/json",
            "data": data,
        }))
        .expect("json")
    }

    /// Posts a structured-mode body signed with `delivery` as webhook-id.
    pub async fn post_signed(&self, delivery: &str, body: Vec<u8>) -> reqwest::Response {
        let now = chrono::Utc::now().timestamp();
        self.post_with(delivery, now, &self.key.sign(delivery, now, &body), body)
            .await
    }

    pub async fn post_with(
        &self,
        delivery: &str,
        timestamp: i64,
        signature: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.signed_request(delivery, timestamp, signature, body)
            .send()
            .await
            .expect("post")
    }

    /// A structured-mode `POST /v1/events` with `signature` as if made at
    /// `timestamp` for `delivery`.
    pub fn signed_request(
        &self,
        delivery: &str,
        timestamp: i64,
        signature: &str,
        body: Vec<u8>,
    ) -> reqwest::RequestBuilder {
        self.http
            .post(self.url("/v1/events"))
            .header("content-type", "application/cloudevents+json")
            .header("webhook-id", delivery)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
    }

    pub async fn secrets(&self) -> Vec<Value> {
        let response = self.admin(Method::GET, "/v1/secrets").await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    pub async fn status_of(&self, secret: &str) -> String {
        self.secrets()
            .await
            .into_iter()
            .find(|s| s["secret"] == secret)
            .map(|s| s["status"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// Every metric series, the per-secret ones too (with the admin token).
    pub async fn metrics(&self) -> String {
        self.admin(Method::GET, "/metrics")
            .await
            .text()
            .await
            .expect("text")
    }

    /// Waits until `count` events are applied (then a little longer, so a
    /// wrongly applied extra one would show) and returns their ids in order.
    pub async fn wait_applied(&self, count: usize) -> Vec<String> {
        let deadline = Deadline::after(Duration::from_secs(5), Duration::from_millis(50));
        while self.audit_events().len() < count {
            deadline
                .wait(|| format!("events not applied:\n{}", self.log()))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        self.audit_events()
            .iter()
            .map(|e| e["data"]["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn audit_events(&self) -> Vec<Value> {
        self.audit_entries("event")
    }

    /// The audit entries of `kind`, in order.
    pub fn audit_entries(&self, kind: &str) -> Vec<Value> {
        self.audit()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["kind"] == kind)
            .collect()
    }
}

pub fn counter(metrics: &str, line_start: &str) -> u64 {
    metrics
        .lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
