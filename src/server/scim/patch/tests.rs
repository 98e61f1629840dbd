//! PATCH as Entra and Okta send it, members both ways, and refusals.

use serde_json::json;

use super::*;

fn patched(body: Value, request: Value) -> Value {
    let mut body = body.as_object().cloned().expect("object");
    apply(&mut body, &parse(&request).expect("parse")).expect("apply");
    Value::Object(body)
}

#[test]
fn entra_and_okta_shapes_apply() {
    let user =
        json!({"userName": "dana", "active": true, "emails": [{"type": "work", "value": "a@x"}]});
    let entra = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@x"},
        {"op": "Add", "path": "name.givenName", "value": "Dana"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"}
    ]});
    let out = patched(user.clone(), entra);
    assert_eq!(out["active"], "False");
    assert_eq!(out["emails"], json!([{"type": "work", "value": "b@x"}]));
    assert_eq!(out["name"]["givenName"], "Dana");
    assert_eq!(
        out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
        "Ops"
    );
    let okta = json!({"Operations": [{"op": "replace", "value": {"active": false, "name.familyName": "Doe"}}]});
    let out = patched(user, okta);
    assert_eq!(out["active"], false);
    assert_eq!(out["name"]["familyName"], "Doe");
}

#[test]
fn members_are_added_and_removed_both_ways() {
    let group = json!({"displayName": "ops", "members": [{"value": "a"}]});
    let out = patched(
        group,
        json!({"Operations": [
            {"op": "add", "path": "members", "value": [{"value": "b"}, {"value": "a"}]},
            {"op": "remove", "path": "members[value eq \"a\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "b"}]},
            {"op": "add", "path": "members", "value": [{"value": "c"}]}
        ]}),
    );
    assert_eq!(out["members"], json!([{"value": "c"}]));
}

#[test]
fn bad_operations_are_refused() {
    let body = json!({"userName": "x"});
    for (request, want) in [
        (
            json!({"Operations": [{"op": "move", "path": "a"}]}),
            "invalidSyntax",
        ),
        (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
        (
            json!({"Operations": [{"op": "add", "path": "emails[type"}]}),
            "invalidPath",
        ),
        (json!({"nothing": []}), "invalidSyntax"),
    ] {
        let result = parse(&request).and_then(|ops| {
            let mut object = body.as_object().cloned().expect("object");
            apply(&mut object, &ops)
        });
        let got = match result {
            Err(ScimError::InvalidSyntax(_)) => "invalidSyntax",
            Err(ScimError::NoTarget(_)) => "noTarget",
            Err(ScimError::InvalidPath(_)) => "invalidPath",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, want, "{request}");
    }
}
