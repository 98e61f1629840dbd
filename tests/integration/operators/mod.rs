//! Named operators, black-box: each role allowed and refused on a route of
//! each class (read, act), the actor in the audit entry of an action (from
//! the admin API and from the command line), and OIDC tokens (`oidc`).

mod jwt;
mod oidc;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::Demo;
use crate::common::service::{ADMIN_TOKEN, Service};

const REPORTS: &str = "/v1/secrets/local%3Ademo%2Freports-token/rotate";
const NO_SIGNAL: &str = "/v1/signals/owner_status%3Anobody%40example.com";

/// `(name, role, env var, token)` of the operators the tests configure.
const OPERATORS: [(&str, &str, &str, &str); 3] = [
    (
        "vera",
        "viewer",
        "TENURE_VIEWER_TOKEN",
        "viewer-token-0123456789",
    ),
    (
        "olivia",
        "operator",
        "TENURE_OPERATOR_TOKEN",
        "operator-token-0123456789",
    ),
    (
        "april",
        "approver",
        "TENURE_APPROVER_TOKEN",
        "approver-token-0123456789",
    ),
];

/// `[[server.operators]]` for [`OPERATORS`].
fn operator_tables() -> String {
    OPERATORS
        .iter()
        .map(|(name, role, var, _)| {
            format!("[[server.operators]]\nname = {name:?}\nrole = {role:?}\ntoken = {{ env = {var:?} }}\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The service with [`OPERATORS`] (and `server.admin_token`, the operator
/// `admin`), plus `tables`.
async fn start(tables: &str) -> Service {
    let env: Vec<(&str, &str)> = OPERATORS
        .iter()
        .map(|(_, _, var, token)| (*var, *token))
        .collect();
    Service::start_full("", &format!("{}\n{tables}", operator_tables()), &env).await
}

/// The actor of each decision an operator asked for, in order.
fn actors(audit: &str) -> Vec<Value> {
    audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "decision" && e["data"]["reasons"] == json!(["operator_request"]))
        .map(|e| e["data"]["actor"].clone())
        .collect()
}

#[tokio::test]
async fn each_role_is_allowed_and_refused_per_route_and_actions_name_the_actor() {
    let service = start("").await;
    let token = |name: &str| {
        OPERATORS
            .iter()
            .find(|o| o.0 == name)
            .map_or(ADMIN_TOKEN, |o| o.3)
    };

    // Without a token, or with one no operator has: 401, the header says Bearer.
    for presented in [None, Some("not-an-operator-token-at-all")] {
        let mut request = service.http.get(service.url("/v1/secrets"));
        if let Some(presented) = presented {
            request = request.bearer_auth(presented);
        }
        let response = request.send().await.expect("get");
        assert_eq!(response.status(), 401, "{presented:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }

    // Every guarded route refuses a request without a token before its handler runs.
    for (method, path, _) in tenure::server::auth::roles::ROUTES {
        let path = path
            .replace("{address}", "local%3Ademo%2Freports-token")
            .replace("{id}", "owner_status%3Anobody%40example.com");
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let response = service
            .http
            .request(method.clone(), service.url(&path))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 401, "{method} {path}");
    }

    // Reads: every role.
    for name in ["vera", "olivia", "april", "admin"] {
        for path in [
            "/v1/secrets",
            "/v1/plan",
            "/v1/signals",
            "/v1/secrets/local%3Ademo%2Freports-token/evidence",
        ] {
            let (status, body) = service.call(Method::GET, path, token(name)).await;
            assert_eq!(status, 200, "{name} GET {path}: {body}");
        }
    }

    // Actions: operator and admin; viewer and approver are refused and change nothing.
    let before = service.demo.get("demo/reports-token");
    for name in ["vera", "april"] {
        let (status, body) = service.call(Method::POST, REPORTS, token(name)).await;
        assert_eq!(status, 403, "{name}: {body}");
        let why = body["error"].as_str().unwrap_or_default();
        assert!(why.contains(name) && why.contains("operator"), "{why}");
        let (status, body) = service.call(Method::DELETE, NO_SIGNAL, token(name)).await;
        assert_eq!(status, 403, "{name}: {body}");
    }
    assert_eq!(service.demo.get("demo/reports-token"), before);
    assert!(actors(&service.audit()).is_empty());
    for name in ["olivia", "admin"] {
        let (status, body) = service.call(Method::POST, REPORTS, token(name)).await;
        assert_eq!(
            (status, &body["outcome"]),
            (200, &json!("promoted")),
            "{name}: {body}"
        );
        // Past the guard: the handler's own 404 for a signal that is not there.
        let (status, body) = service.call(Method::DELETE, NO_SIGNAL, token(name)).await;
        assert_eq!(status, 404, "{name}: {body}");
    }
    assert_ne!(service.demo.get("demo/reports-token"), before);

    // Each action's decision names who asked, with the role and how they proved it.
    let actors = actors(&service.audit());
    assert_eq!(
        actors,
        [
            json!({"name": "olivia", "role": "operator", "via": "token"}),
            json!({"name": "admin", "role": "admin", "via": "token"}),
        ],
        "{}",
        service.audit()
    );
    assert!(service.log().contains("Operator olivia asked to rotate"));
}

#[test]
fn command_line_actions_name_the_os_user_or_the_given_actor() {
    let demo = Demo::new();
    let out = demo
        .command(&["rotate", "local:demo/reports-token"])
        .env("USER", "carol")
        .output()
        .expect("rotate");
    crate::common::succeeded(&["rotate"], out);
    demo.ok(&[
        "rotate",
        "local:demo/reports-token",
        "--actor",
        "change-1234/bob",
    ]);
    let audit = std::fs::read_to_string(demo.audit()).expect("audit");
    let actors = actors(&audit);
    assert_eq!(
        actors,
        [
            json!({"name": "cli:carol", "role": "admin", "via": "cli"}),
            json!({"name": "change-1234/bob", "role": "admin", "via": "cli"}),
        ]
    );
}

#[test]
fn the_example_loads_with_its_operators_and_identity_provider_uncommented() {
    let demo = Demo::new();
    let example = demo.config.with_file_name("examples/service.toml");
    let keys = [
        "[[server.operators]]",
        "name =",
        "role =",
        "token =",
        "[server.oidc]",
        "issuer =",
        "audience =",
        "jwks =",
        "role_claim =",
        "name_claim =",
    ];
    // Only the operators' and OIDC block: from its first `[[server.operators]]`
    // to the blank line that ends it (the [scim] block after it has a
    // `token =` of its own).
    let uncommented = crate::common::uncomment_block(&example, "# [[server.operators]]", &keys);
    assert_eq!(uncommented, 14, "the example's operator block changed");
    let example = example.to_str().expect("utf-8");
    crate::common::succeeded(
        &["check-config"],
        crate::common::tenure(std::path::Path::new(example), &["check-config"])
            .output()
            .expect("check-config"),
    );
}
