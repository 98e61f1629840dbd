//! ACL rules as scopes: what `ACL GETUSER` reports, split into the rules a
//! user holds (`+@read`, `+get`, `~app:*`, `&events:*`).

use redis::Value;

/// Rules that grant something (negative rules and the baseline `-@all` grant nothing).
fn grants(token: &str) -> bool {
    token.starts_with('+')
        || token.starts_with('~')
        || token.starts_with('%')
        || token.starts_with('&')
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// The reply of `ACL GETUSER` as (field, value) pairs (RESP2 arrays or RESP3 maps).
fn fields(reply: &Value) -> Vec<(String, &Value)> {
    match reply {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|pair| match pair {
                [key, value] => text(key).map(|k| (k, value)),
                _ => None,
            })
            .collect(),
        Value::Map(pairs) => pairs
            .iter()
            .filter_map(|(key, value)| text(key).map(|k| (k, value)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The strings in one list field of `ACL GETUSER` (`flags`, `passwords`).
fn list(reply: &Value, name: &str) -> Vec<String> {
    fields(reply)
        .into_iter()
        .filter(|(key, _)| key == name)
        .flat_map(|(_, value)| match value {
            Value::Array(items) | Value::Set(items) => items.iter().filter_map(text).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// The user's flags (`on`, `off`, `nopass`, ...).
pub fn flags(reply: &Value) -> Vec<String> {
    list(reply, "flags")
}

/// The SHA-256 digests of the user's passwords, as Redis lists them.
pub fn passwords(reply: &Value) -> Vec<String> {
    list(reply, "passwords")
}

/// The granting rules of a user, from the reply of `ACL GETUSER`.
pub fn rules(reply: &Value) -> Vec<String> {
    let mut rules = Vec::new();
    for (key, value) in fields(reply) {
        let Some(body) = text(value) else { continue };
        match key.as_str() {
            "commands" | "keys" | "channels" => {
                rules.extend(
                    body.split_whitespace()
                        .filter(|t| grants(t))
                        .map(str::to_owned),
                );
            }
            _ => {}
        }
    }
    rules.sort();
    rules.dedup();
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn only_granting_rules_are_privileges() {
        let reply = Value::Array(vec![
            bulk("flags"),
            Value::Array(vec![bulk("on")]),
            bulk("commands"),
            bulk("-@all +@read +set"),
            bulk("keys"),
            bulk("~app:* %R~cache:*"),
            bulk("channels"),
            bulk(""),
        ]);
        assert_eq!(
            rules(&reply),
            vec!["%R~cache:*", "+@read", "+set", "~app:*"]
        );
    }
}
