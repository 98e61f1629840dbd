//! `GET /v1/openapi.json` against the running service: the document is a
//! structurally sound OpenAPI 3.1 document, it describes exactly the
//! router's table, and one real request per operation gets a status (and,
//! for JSON, a body) that the document allows for it, never the fallback's
//! unknown-route 404 or a 405.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::service::{ADMIN_TOKEN, EVENTGRID_KEY, Service};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The JSON Schema keywords [`validate`] checks.
const CHECKED: [&str; 14] = [
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "anyOf",
    "oneOf",
    "not",
    "minimum",
    "minLength",
    "contentEncoding",
];
/// Keywords that only annotate (or that the document uses on parameters only).
const ANNOTATIONS: [&str; 6] = [
    "description",
    "title",
    "examples",
    "format",
    "pattern",
    "default",
];

/// What `pointer` (`#/components/...`) names in `root`.
fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    root.pointer(pointer.strip_prefix('#')?)
}

/// Follows `$ref`s until an object without one.
fn deref<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => {
                value = resolve(root, pointer).unwrap_or_else(|| panic!("unresolved {pointer}"))
            }
            None => return value,
        }
    }
    panic!("a $ref cycle at {value}");
}

/// Every `$ref` anywhere in `value`, with where it is.
fn refs(value: &Value, at: String, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    found.push((at.clone(), inner.as_str().unwrap_or_default().to_owned()));
                } else {
                    refs(inner, format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                refs(inner, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// Every JSON Schema under `components/schemas` and in the operations, so
/// the keywords they use can be checked against what [`validate`] knows.
fn schema_keywords(schema: &Value, seen: &mut BTreeSet<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    for (key, inner) in map {
        seen.insert(key.clone());
        match key.as_str() {
            "properties" => {
                for property in inner.as_object().into_iter().flat_map(|m| m.values()) {
                    schema_keywords(property, seen);
                }
            }
            "anyOf" | "oneOf" => {
                for option in inner.as_array().into_iter().flatten() {
                    schema_keywords(option, seen);
                }
            }
            "items" | "not" | "additionalProperties" => schema_keywords(inner, seen),
            _ => {}
        }
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// Checks `value` against `schema` (the keywords in [`CHECKED`]).
fn validate(root: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = deref(root, schema);
    if let Some(names) = schema.get("type") {
        let names: Vec<&str> = match names {
            Value::String(name) => vec![name.as_str()],
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect(),
            other => panic!("type {other}"),
        };
        if !names.iter().any(|name| type_matches(name, value)) {
            return Err(format!("{at}: {value} is not of type {names:?}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        return Err(format!("{at}: {value} is not {constant}"));
    }
    if let Some(minimum) = schema.get("minimum").and_then(Value::as_f64)
        && value.as_f64().is_some_and(|n| n < minimum)
    {
        return Err(format!("{at}: {value} is below {minimum}"));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && value
            .as_str()
            .is_some_and(|s| (s.chars().count() as u64) < min)
    {
        return Err(format!("{at}: {value} is shorter than {min}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                return Err(format!("{at}: `{name}` is missing from {value}"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, inner) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(root, property, inner, &format!("{at}/{name}"))?,
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err(format!("{at}: `{name}` is not documented"));
                    }
                    Some(extra @ Value::Object(_)) => {
                        validate(root, extra, inner, &format!("{at}/{name}"))?
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(root, items, item, &format!("{at}/{i}"))?;
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array)
        && !options
            .iter()
            .any(|option| validate(root, option, value, at).is_ok())
    {
        return Err(format!("{at}: {value} matches none of anyOf"));
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|option| validate(root, option, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: {value} matches {matching} of oneOf"));
        }
    }
    if let Some(not) = schema.get("not")
        && validate(root, not, value, at).is_ok()
    {
        return Err(format!("{at}: {value} matches `not`"));
    }
    Ok(())
}

/// `(METHOD, path)` → the operation object.
fn operations(document: &Value) -> BTreeMap<(String, String), &Value> {
    let mut found = BTreeMap::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (key, operation) in item.as_object().expect("path item") {
            if METHODS.contains(&key.as_str()) {
                found.insert((key.to_ascii_uppercase(), path.clone()), operation);
            }
        }
    }
    found
}

/// The structural checks of an OpenAPI 3.1 document this project relies on.
fn check_structure(document: &Value) {
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["info"]["title"].is_string(), "info.title");
    assert!(document["info"]["version"].is_string(), "info.version");
    let mut found = Vec::new();
    refs(document, "#".to_owned(), &mut found);
    assert!(!found.is_empty());
    for (at, pointer) in &found {
        assert!(
            pointer.starts_with("#/") && resolve(document, pointer).is_some(),
            "{at}: $ref {pointer:?} does not resolve inside the document"
        );
    }
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    for scheme in schemes.values() {
        match scheme["type"].as_str() {
            Some("http") => assert!(scheme["scheme"].is_string(), "{scheme}"),
            Some("apiKey") => {
                assert!(scheme["name"].is_string(), "{scheme}");
                assert!(
                    ["query", "header", "cookie"].contains(&scheme["in"].as_str().unwrap_or("")),
                    "{scheme}"
                );
            }
            other => panic!("unexpected security scheme type {other:?}"),
        }
    }
    let mut operation_ids = BTreeSet::new();
    for ((method, path), operation) in operations(document) {
        let op = format!("{method} {path}");
        let id = operation["operationId"].as_str().expect("operationId");
        assert!(operation_ids.insert(id.to_owned()), "{op}: duplicate {id}");
        let responses = operation["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{op} has no responses");
        for (status, response) in responses {
            assert!(
                status == "default"
                    || (status.len() == 3
                        && status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s))),
                "{op}: response key {status:?}"
            );
            let response = deref(document, response);
            assert!(response["description"].is_string(), "{op} {status}");
            for (name, link) in response
                .get("links")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let target = link["operationId"].as_str().expect("link operationId");
                let linked = operations(document)
                    .into_values()
                    .find(|o| o["operationId"] == target)
                    .unwrap_or_else(|| panic!("{op} {status}: link {name} to no {target}"));
                for parameter in link["parameters"]
                    .as_object()
                    .expect("link parameters")
                    .keys()
                {
                    assert!(
                        linked["parameters"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| deref(document, p)["name"] == parameter.as_str()),
                        "{op} {status}: link {name} sets no parameter {parameter} of {target}"
                    );
                }
            }
            for media in response
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.values())
            {
                assert!(media["schema"].is_object(), "{op} {status}: no schema");
            }
        }
        for requirement in operation["security"].as_array().expect("security") {
            for name in requirement.as_object().expect("requirement").keys() {
                assert!(schemes.contains_key(name), "{op}: unknown scheme {name}");
            }
        }
        if let Some(body) = operation.get("requestBody") {
            let body = deref(document, body);
            let content = body["content"].as_object().expect("requestBody content");
            assert!(!content.is_empty(), "{op}: empty requestBody");
        }
        // Path templates and path parameters name the same things.
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        let mut declared = BTreeSet::new();
        for parameter in operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let parameter = deref(document, parameter);
            let name = parameter["name"].as_str().expect("parameter name");
            let location = parameter["in"].as_str().expect("parameter in");
            assert!(
                ["path", "query", "header", "cookie"].contains(&location),
                "{op}: {name} in {location}"
            );
            assert!(
                parameter["schema"].is_object(),
                "{op}: {name} has no schema"
            );
            if location == "path" {
                assert_eq!(parameter["required"], true, "{op}: {name} must be required");
                declared.insert(name);
            }
        }
        assert_eq!(templated, declared, "{op}: path parameters");
    }
    // The validator below knows every keyword the schemas use.
    let mut keywords = BTreeSet::new();
    let mut schemas: Vec<&Value> = document["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .values()
        .collect();
    for operation in operations(document).values() {
        for response in operation["responses"]
            .as_object()
            .expect("responses")
            .values()
        {
            let response = deref(document, response);
            for media in response
                .get("content")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|c| c.values())
            {
                schemas.push(&media["schema"]);
            }
        }
    }
    for schema in schemas {
        schema_keywords(schema, &mut keywords);
    }
    for keyword in keywords {
        assert!(
            CHECKED.contains(&keyword.as_str()) || ANNOTATIONS.contains(&keyword.as_str()),
            "the test's validator does not know the keyword {keyword:?}"
        );
    }
}

/// One real request for the operation.
fn request(service: &Service, method: &str, path: &str) -> reqwest::RequestBuilder {
    let url = |p: &str| format!("{}{p}", service.base);
    let admin = |builder: reqwest::RequestBuilder| builder.bearer_auth(ADMIN_TOKEN);
    match (method, path) {
        ("POST", "/v1/events") => {
            let body = Service::event(
                "evt-openapi",
                "io.tenure.governance.updated",
                Value::Null,
            );
            let now = chrono::Utc::now().timestamp();
            let signature = service.key.sign("msg_openapi", now, &body);
            service
                .http
                .post(url(path))
                .header("content-type", "application/cloudevents+json")
                .header("webhook-id", "msg_openapi")
                .header("webhook-timestamp", now.to_string())
                .header("webhook-signature", signature)
                .body(body)
        }
        ("POST", "/v1/eventgrid") => service
            .http
            .post(format!("{}?key={EVENTGRID_KEY}", url(path)))
            .json(&json!([{
                "id": "openapi-handshake",
                "topic": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/demo",
                "subject": "",
                "data": { "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
                "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                "eventTime": "2026-11-25T18:41:00Z",
                "dataVersion": "1"
            }])),
        ("GET", "/v1/secrets" | "/v1/plan" | "/v1/signals") => admin(service.http.get(url(path))),
        ("POST", "/v1/secrets/{address}/rotate") => admin(
            service
                .http
                .post(url("/v1/secrets/local%3Ademo%2Freports-token/rotate")),
        ),
        ("POST", "/v1/secrets/{address}/revoke") => admin(
            service
                .http
                .post(url("/v1/secrets/local%3Atmp%2Fforgotten-key/revoke")),
        ),
        ("DELETE", "/v1/signals/{id}") => admin(
            service
                .http
                .delete(url("/v1/signals/owner_status%3Anobody%40example.com")),
        ),
        ("GET", "/metrics") => admin(service.http.get(url(path))),
        ("GET", "/healthz" | "/readyz" | "/v1/openapi.json") => service.http.get(url(path)),
        _ => panic!("the test has no request for {method} {path}: add one"),
    }
}

#[tokio::test]
async fn the_document_matches_the_router_and_every_operation_answers_as_documented() {
    let service = Service::start_with("eventgrid_key = { env = \"TENURE_EVENTGRID_KEY\" }").await;
    let response = service
        .http
        .get(format!("{}/v1/openapi.json", service.base))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "{:?}",
        response.headers()
    );
    let document: Value = response.json().await.expect("json");
    check_structure(&document);

    // Exactly the router's table.
    let documented: BTreeSet<(String, String)> = operations(&document).into_keys().collect();
    let served: BTreeSet<(String, String)> = tenure::server::routes()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    assert_eq!(documented, served);

    // The fallback's 404 is recognisable, and a known path with another
    // method is a 405: the two answers no documented operation may give.
    let unknown = service
        .http
        .get(format!("{}/v1/no-such-route", service.base))
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.expect("json");
    assert_eq!(body["unknown_route"], true, "{body}");
    let wrong_method = service
        .http
        .delete(format!("{}/healthz", service.base))
        .send()
        .await
        .expect("delete");
    assert_eq!(wrong_method.status(), 405);

    // One real request per operation.
    let mut seen = Vec::new();
    for ((method, path), operation) in operations(&document) {
        let op = format!("{method} {path}");
        let response = request(&service, &method, &path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"));
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let text = response.text().await.expect("body");
        assert_ne!(status, 405, "{op}: method not allowed");
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        assert!(
            !parsed
                .as_ref()
                .is_some_and(|body| body["unknown_route"] == true),
            "{op}: no route served it: {text}"
        );
        let documented = &operation["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{op}: answered {status}, which the document does not list: {text}"
        );
        let documented = deref(&document, documented);
        if let Some(content) = documented.get("content").and_then(Value::as_object) {
            let media = media.unwrap_or_else(|| panic!("{op} {status}: no content-type"));
            let schema = &content
                .get(&media)
                .unwrap_or_else(|| panic!("{op} {status}: {media} is not documented"))["schema"];
            if media.ends_with("json") {
                let body = parsed.unwrap_or_else(|| panic!("{op} {status}: not JSON: {text}"));
                if let Err(err) = validate(&document, schema, &body, "") {
                    panic!("{op} {status}: the body does not fit the document: {err}");
                }
            }
        }
        seen.push(format!("{op} -> {status}"));
    }
    println!("{}", seen.join("\n"));
    // The requests above reached their handlers (not only their refusals).
    for expected in [
        "POST /v1/events -> 202",
        "POST /v1/eventgrid -> 200",
        "GET /v1/secrets -> 200",
        "GET /v1/plan -> 200",
        "GET /v1/signals -> 200",
        "DELETE /v1/signals/{id} -> 404",
        "GET /healthz -> 200",
        "GET /readyz -> 200",
        "GET /metrics -> 200",
        "GET /v1/openapi.json -> 200",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
}

#[test]
fn the_validator_refuses_what_the_schemas_forbid() {
    let document: Value =
        serde_json::from_str(include_str!("../../src/server/openapi.json")).expect("json");
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let ok =
        json!({ "secret": "local:a", "action": "rotate", "outcome": "promoted", "detail": null });
    assert_eq!(
        validate(&document, &schema("ActionResult"), &ok, ""),
        Ok(())
    );
    for bad in [
        json!({ "secret": "local:a", "action": "rotate", "outcome": "promoted" }),
        json!({ "secret": "local:a", "action": "rotate", "outcome": "exploded", "detail": null }),
        json!({ "secret": "local:a", "action": "rotate", "outcome": "promoted", "detail": 1 }),
        json!({ "secret": "local:a", "action": "rotate", "outcome": "promoted", "detail": null, "extra": 1 }),
    ] {
        assert!(
            validate(&document, &schema("ActionResult"), &bad, "").is_err(),
            "{bad}"
        );
    }
    let counts = json!({ "accepted": 0, "duplicates": 0, "unmatched": 1, "ignored": 0 });
    let grid = json!({ "oneOf": [schema("EventGridValidation"), schema("EventGridCounts")] });
    assert_eq!(validate(&document, &grid, &counts, ""), Ok(()));
    assert!(validate(&document, &grid, &json!({ "accepted": -1 }), "").is_err());
    let event = json!({ "specversion": "1.0", "id": "1", "source": "/s", "type": "io.tenure.owner.left",
                        "data": { "owner": "dana" }, "data_base64": "e30=" });
    assert!(validate(&document, &schema("CloudEvent"), &event, "").is_err());
}
