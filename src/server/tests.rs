//! The route table against the OpenAPI document.
use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    serde_json::from_str(openapi::DOCUMENT).expect("openapi.json is JSON")
}

#[test]
fn the_table_has_each_route_once() {
    let routes = routes();
    let unique: BTreeSet<_> = routes.iter().collect();
    assert_eq!(unique.len(), routes.len(), "{routes:?}");
}

#[test]
fn the_openapi_document_describes_exactly_the_routes_of_the_table() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    // The console's `/ui` routes are HTML pages for a browser, not the
    // JSON API the document describes: left out by prefix.
    let served: BTreeSet<(String, String)> = routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/ui"))
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
    assert_eq!(documented, served);
}
