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

/// The granting rules of a user, from the reply of `ACL GETUSER`.
pub fn rules(reply: &Value) -> Vec<String> {
    let fields: Vec<(String, &Value)> = match reply {
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
    };
    let mut rules = Vec::new();
    for (key, value) in fields {
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
