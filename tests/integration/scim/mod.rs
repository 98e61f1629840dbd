//! The SCIM 2.0 intake (`/scim/v2`) against the running service: a real
//! SCIM client library (scim2-client from PyPI) drives it, the request
//! shapes Microsoft Entra ID and Okta send are replayed from
//! `tests/fixtures/scim/`, every refusal is a SCIM error with its status,
//! an Entra deactivation revokes a PostgreSQL credential with proof, and
//! users and groups survive a restart of either state store.

mod client;
mod owner_group;
mod refusals;
mod revoke_postgres;
mod store;
mod vendors;

use std::path::PathBuf;

use reqwest::Method;
use serde_json::Value;

use crate::common::service::Service;

pub const SCIM_TOKEN: &str = "test-scim-token-0123456789";

/// The `[scim]` section the tests add.
pub const SCIM_TABLE: &str = "[scim]\ntoken = { env = \"TENURE_SCIM_TOKEN\" }\n";

/// The example service with `[scim]` on, `tables` appended and `env` set.
pub async fn start(tables: &str, env: &[(&str, &str)]) -> Service {
    let mut all = vec![("TENURE_SCIM_TOKEN", SCIM_TOKEN)];
    all.extend_from_slice(env);
    Service::start_full("", &format!("{SCIM_TABLE}\n{tables}"), &all).await
}

/// `method /scim/v2<path>` with the SCIM token.
pub fn scim(service: &Service, method: Method, path: &str) -> reqwest::RequestBuilder {
    service
        .http
        .request(method, service.url(&format!("/scim/v2{path}")))
        .bearer_auth(SCIM_TOKEN)
}

/// `GET /scim/v2<path>?<query>` with the SCIM token.
pub fn scim_get(service: &Service, path: &str, query: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let url = reqwest::Url::parse_with_params(&service.url(&format!("/scim/v2{path}")), query)
        .expect("url");
    service.http.get(url).bearer_auth(SCIM_TOKEN)
}

/// A recorded vendor request: `tests/fixtures/scim/<name>.json`.
pub struct Fixture(Value);

impl Fixture {
    pub fn load(name: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scim")
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        Self(serde_json::from_str(&text).expect("fixture JSON"))
    }

    /// Sends it to `service`, `{id}` replaced by `id`, as the vendor does
    /// (`application/scim+json`); the status and the JSON answer.
    pub async fn send(&self, service: &Service, id: &str) -> (u16, Value) {
        let method: Method = self.0["method"]
            .as_str()
            .expect("method")
            .parse()
            .expect("method");
        let path = self.0["path"].as_str().expect("path").replace("{id}", id);
        let mut request = scim(service, method, &path);
        if let Some(query) = self.0.get("query").and_then(Value::as_object) {
            let pairs: Vec<(&str, &str)> = query
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().expect("query value")))
                .collect();
            request = scim_get(service, &path, &pairs);
        }
        if let Some(body) = self.0.get("body") {
            let body = body.to_string().replace("{id}", id);
            request = request
                .header("content-type", "application/scim+json")
                .body(body);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The `scim` audit entries, in order.
pub fn scim_audit(service: &Service) -> Vec<Value> {
    service.audit_entries("scim")
}
