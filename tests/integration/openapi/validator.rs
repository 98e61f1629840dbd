//! The small JSON Schema validator the OpenAPI checks use (the keywords in
//! [`CHECKED`]), `$ref` resolution, and the test that it refuses what the
//! document's schemas forbid.

use std::collections::BTreeSet;

use serde_json::{Value, json};

/// The JSON Schema keywords [`validate`] checks.
pub(super) const CHECKED: [&str; 14] = [
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
pub(super) const ANNOTATIONS: [&str; 6] = [
    "description",
    "title",
    "examples",
    "format",
    "pattern",
    "default",
];

/// What `pointer` (`#/components/...`) names in `root`.
pub(super) fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    root.pointer(pointer.strip_prefix('#')?)
}

/// Follows `$ref`s until an object without one.
pub(super) fn deref<'a>(root: &'a Value, mut value: &'a Value) -> &'a Value {
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
pub(super) fn refs(value: &Value, at: String, found: &mut Vec<(String, String)>) {
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
pub(super) fn schema_keywords(schema: &Value, seen: &mut BTreeSet<String>) {
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
pub(super) fn validate(
    root: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
) -> Result<(), String> {
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

#[test]
fn the_validator_refuses_what_the_schemas_forbid() {
    let document: Value =
        serde_json::from_str(include_str!("../../../src/server/openapi.json")).expect("json");
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
