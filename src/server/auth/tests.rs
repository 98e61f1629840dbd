//! The OpenAPI document in step with the role table: every guarded route
//! documents both operator schemes, 401, 403 and its least role; no other
//! route documents a 403.

use serde_json::Value;

use super::roles::required;

#[test]
fn the_openapi_document_shows_each_routes_guard() {
    let document: Value =
        serde_json::from_str(crate::server::openapi::DOCUMENT).expect("openapi.json is JSON");
    // The console's `/ui` pages are not in the document (HTML, not the API).
    for (method, path) in crate::server::routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/ui"))
    {
        let op = format!("{method} {path}");
        let operation = &document["paths"][path][method.to_ascii_lowercase()];
        let responses = &operation["responses"];
        match required(method, path) {
            Some(permission) => {
                assert_eq!(
                    operation["security"],
                    serde_json::json!([{ "operatorToken": [] }, { "oidcToken": [] }]),
                    "{op}"
                );
                assert_eq!(operation["x-tenure-role"], permission.least_role(), "{op}");
                for status in ["401", "403"] {
                    assert!(responses[status].is_object(), "{op}: no {status}");
                }
            }
            None => {
                assert!(responses["403"].is_null(), "{op}: 403 without a guard");
                assert!(operation["x-tenure-role"].is_null(), "{op}");
            }
        }
    }
}
