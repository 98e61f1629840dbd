//! The structural checks of the OpenAPI 3.1 document this project relies
//! on, and its operations by `(METHOD, path)`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::validator::{ANNOTATIONS, CHECKED, deref, refs, resolve, schema_keywords};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(METHOD, path)` → the operation object.
pub(super) fn operations(document: &Value) -> BTreeMap<(String, String), &Value> {
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
pub(super) fn check_structure(document: &Value) {
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
