//! PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` operations, with
//! a path (`active`, `name.givenName`, `emails[type eq "work"].value`,
//! `members[value eq "id"]`, an extension's `urn:...:attribute`) or without
//! one (a map of attributes). `op` is read without regard to case (Entra
//! sends `Replace`), and so are attribute names.

use serde_json::{Map, Value};

use super::errors::ScimError;

/// The core schemas' URNs, which a path may carry before the attribute.
const CORE: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
];

/// Attribute names as the RFC spells them, so a key sent as `username`
/// is stored as `userName`.
const CANONICAL: [&str; 22] = [
    "userName",
    "externalId",
    "displayName",
    "active",
    "emails",
    "name",
    "members",
    "givenName",
    "familyName",
    "formatted",
    "middleName",
    "title",
    "phoneNumbers",
    "value",
    "type",
    "primary",
    "display",
    "nickName",
    "locale",
    "timezone",
    "userType",
    "roles",
];

/// The kind of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A parsed path: `[urn:]attr[[sub eq "v"]][.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Path {
    urn: Option<String>,
    attr: String,
    filter: Option<(String, String)>,
    sub: Option<String>,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    op: Op,
    path: Option<Path>,
    value: Option<Value>,
}

/// The key of `map` that is `name` without regard to case, else `name` as
/// the RFC spells it.
pub fn key_of(map: &Map<String, Value>, name: &str) -> String {
    map.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .or_else(|| {
            CANONICAL
                .iter()
                .find(|c| c.eq_ignore_ascii_case(name))
                .map(|c| (*c).to_owned())
        })
        .unwrap_or_else(|| name.to_owned())
}

fn parse_path(text: &str) -> Result<Path, ScimError> {
    let bad = || ScimError::InvalidPath(format!("cannot read the path {text:?}"));
    let head_end = text.find('[').unwrap_or(text.len());
    let (urn, rest) = match text[..head_end].rfind(':') {
        Some(colon) if text.starts_with("urn:") => {
            let urn = &text[..colon];
            let urn = (!CORE.iter().any(|c| c.eq_ignore_ascii_case(urn))).then(|| urn.to_owned());
            (urn, &text[colon + 1..])
        }
        _ => (None, text),
    };
    let (attr, filter, tail) = match rest.split_once('[') {
        Some((attr, after)) => {
            let (inside, tail) = after.split_once(']').ok_or_else(bad)?;
            let mut words = inside.trim().splitn(3, char::is_whitespace);
            let (Some(sub), Some(op), Some(literal)) = (words.next(), words.next(), words.next())
            else {
                return Err(bad());
            };
            let value: String = serde_json::from_str(literal.trim()).map_err(|_| bad())?;
            if !op.eq_ignore_ascii_case("eq") {
                return Err(bad());
            }
            (attr, Some((sub.to_owned(), value)), tail)
        }
        None => {
            let attr = rest.split('.').next().unwrap_or(rest);
            (attr, None, &rest[attr.len()..])
        }
    };
    let sub = match tail {
        "" => None,
        tail => Some(
            tail.strip_prefix('.')
                .filter(|s| !s.is_empty())
                .ok_or_else(bad)?
                .to_owned(),
        ),
    };
    if attr.is_empty() {
        return Err(bad());
    }
    Ok(Path {
        urn,
        attr: attr.to_owned(),
        filter,
        sub,
    })
}

/// Reads the body of a PATCH request.
pub fn parse(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::InvalidSyntax("a PATCH body is a JSON object".into()))?;
    let operations = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .and_then(|(_, v)| v.as_array())
        .ok_or_else(|| ScimError::InvalidSyntax("a PATCH body needs `Operations`".into()))?;
    operations
        .iter()
        .map(|operation| {
            let field = |name: &str| {
                operation
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                    .map(|(_, v)| v)
            };
            let op = match field("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(op) if op == "add" => Op::Add,
                Some(op) if op == "replace" => Op::Replace,
                Some(op) if op == "remove" => Op::Remove,
                other => {
                    return Err(ScimError::InvalidSyntax(format!(
                        "`op` must be add, replace or remove, not {other:?}"
                    )));
                }
            };
            let path = match field("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(parse_path(text)?),
                Some(_) => return Err(ScimError::InvalidPath("`path` is a string".into())),
            };
            Ok(Operation {
                op,
                path,
                value: field("value").cloned(),
            })
        })
        .collect()
}

/// Applies `operations`, in order, to `body`.
pub fn apply(body: &mut Map<String, Value>, operations: &[Operation]) -> Result<(), ScimError> {
    for operation in operations {
        match (&operation.path, operation.op) {
            (Some(path), op) => apply_at(body, path, op, operation.value.clone())?,
            (None, Op::Remove) => {
                return Err(ScimError::NoTarget("a remove needs a path".into()));
            }
            (None, op) => {
                let Some(Value::Object(values)) = &operation.value else {
                    return Err(ScimError::InvalidValue(
                        "an add or replace without a path needs an object value".into(),
                    ));
                };
                for (name, value) in values {
                    apply_at(body, &parse_path(name)?, op, Some(value.clone()))?;
                }
            }
        }
    }
    Ok(())
}

/// Whether `element[sub]` is `value` (strings without regard to case).
fn element_matches(element: &Value, sub: &str, value: &str) -> bool {
    element.as_object().is_some_and(|object| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .is_some_and(|(_, v)| match v {
                Value::String(s) => s.eq_ignore_ascii_case(value),
                other => serde_json::from_str::<Value>(value).ok().as_ref() == Some(other),
            })
    })
}

/// The identity of a multi-valued element: its `value`, else itself.
fn identity(element: &Value) -> Value {
    element
        .get("value")
        .cloned()
        .unwrap_or_else(|| element.clone())
}

fn apply_at(
    body: &mut Map<String, Value>,
    path: &Path,
    op: Op,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let target = match &path.urn {
        Some(urn) => {
            let key = key_of(body, urn);
            let entry = body.entry(key).or_insert_with(|| Value::Object(Map::new()));
            entry.as_object_mut().ok_or_else(|| {
                ScimError::InvalidPath(format!("{urn} is not an extension object"))
            })?
        }
        None => body,
    };
    let key = key_of(target, &path.attr);
    if op == Op::Remove {
        return remove(target, &key, path, value.as_ref());
    }
    let value = value.ok_or_else(|| ScimError::InvalidValue(format!("{op:?} needs a value")))?;
    match (&path.filter, &path.sub) {
        (None, None) => {
            match (target.get_mut(&key), value, op) {
                (Some(Value::Array(existing)), Value::Array(added), Op::Add) => {
                    for item in added {
                        if !existing.iter().any(|e| identity(e) == identity(&item)) {
                            existing.push(item);
                        }
                    }
                }
                (_, value, _) => {
                    target.insert(key, value);
                }
            }
            Ok(())
        }
        (None, Some(sub)) => {
            let entry = target
                .entry(key)
                .or_insert_with(|| Value::Object(Map::new()));
            let object = entry.as_object_mut().ok_or_else(|| {
                ScimError::InvalidPath(format!("{} has no sub-attributes", path.attr))
            })?;
            let sub_key = key_of(object, sub);
            object.insert(sub_key, value);
            Ok(())
        }
        (Some((filter_sub, filter_value)), sub) => {
            let entry = target
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()));
            let array = entry.as_array_mut().ok_or_else(|| {
                ScimError::InvalidPath(format!("{} is not multi-valued", path.attr))
            })?;
            let mut matched = false;
            for element in array.iter_mut() {
                if !element_matches(element, filter_sub, filter_value) {
                    continue;
                }
                matched = true;
                match (sub, element.as_object_mut()) {
                    (Some(sub), Some(object)) => {
                        let sub_key = key_of(object, sub);
                        object.insert(sub_key, value.clone());
                    }
                    _ => *element = value.clone(),
                }
            }
            if !matched {
                let mut created = Map::new();
                created.insert(filter_sub.clone(), Value::String(filter_value.clone()));
                match (sub, &value) {
                    (Some(sub), _) => {
                        created.insert(sub.clone(), value);
                    }
                    (None, Value::Object(fields)) => created.extend(fields.clone()),
                    (None, _) => {
                        return Err(ScimError::NoTarget(format!(
                            "no element of {} matches the filter",
                            path.attr
                        )));
                    }
                }
                array.push(Value::Object(created));
            }
            Ok(())
        }
    }
}

fn remove(
    target: &mut Map<String, Value>,
    key: &str,
    path: &Path,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (&path.filter, &path.sub, target.get_mut(key)) {
        (_, _, None) => Ok(()),
        (None, None, Some(Value::Array(existing))) if value.is_some_and(Value::is_array) => {
            // Entra: `{"op":"Remove","path":"members","value":[{"value":"id"}]}`.
            let gone: Vec<Value> = value
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(identity)
                .collect();
            existing.retain(|e| !gone.contains(&identity(e)));
            Ok(())
        }
        (None, None, Some(_)) => {
            target.remove(key);
            Ok(())
        }
        (None, Some(sub), Some(Value::Object(object))) => {
            let sub_key = key_of(object, sub);
            object.remove(&sub_key);
            Ok(())
        }
        (Some((filter_sub, filter_value)), sub, Some(Value::Array(array))) => {
            match sub {
                None => array.retain(|e| !element_matches(e, filter_sub, filter_value)),
                Some(sub) => {
                    for element in array.iter_mut() {
                        if element_matches(element, filter_sub, filter_value)
                            && let Some(object) = element.as_object_mut()
                        {
                            let sub_key = key_of(object, sub);
                            object.remove(&sub_key);
                        }
                    }
                }
            }
            Ok(())
        }
        _ => Err(ScimError::InvalidPath(format!(
            "cannot remove {:?} here",
            path.attr
        ))),
    }
}

#[cfg(test)]
mod tests;
