//! A user's ACL as `ACL GETUSER` reports it, split into the privileges it
//! grants (the scopes a record approves) and the rules that only take
//! away, which narrowing always keeps.
//!
//! - Root command rules are kept in their order (`-@all +@read -keys`):
//!   each rule sets or clears commands in turn, so dropping a granting rule
//!   can only take access away, while dropping a deny rule would widen it.
//! - Key (`~app:*`, `%R~cache:*`) and channel (`&events:*`) patterns grant.
//! - Each selector (`(+del ~tmp:*)`) is one privilege, in canonical form.

use redis::Value;

use crate::scope::{Scope, canonical_selector};

/// A reply's text, whichever string type carries it.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// A reply as (field, value) pairs (RESP2 arrays or RESP3 maps).
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

/// The text of field `name`, split on spaces.
fn words(reply: &Value, name: &str) -> Vec<String> {
    fields(reply)
        .into_iter()
        .filter(|(key, _)| key == name)
        .filter_map(|(_, value)| text(value))
        .flat_map(|body| {
            body.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
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

/// What a user may do, as `ACL GETUSER` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    /// Root command rules in order, without the leading `-@all` baseline.
    pub commands: Vec<String>,
    /// Root key patterns.
    pub keys: Vec<String>,
    /// Root channel patterns.
    pub channels: Vec<String>,
    /// Selectors, each in canonical form `(<commands> <keys> <channels>)`.
    pub selectors: Vec<String>,
}

/// The rules of one root or selector description, without the baseline.
fn command_rules(words: Vec<String>) -> Vec<String> {
    let mut rules = words;
    if rules.first().map(String::as_str) == Some("-@all") {
        rules.remove(0);
    }
    rules
}

impl Acl {
    /// The ACL in the reply of `ACL GETUSER`.
    pub fn parse(reply: &Value) -> Self {
        let selectors = fields(reply)
            .into_iter()
            .filter(|(key, _)| key == "selectors")
            .flat_map(|(_, value)| match value {
                Value::Array(items) | Value::Set(items) => items.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .map(|selector| {
                let mut rules = command_rules(words(selector, "commands"));
                rules.extend(words(selector, "keys"));
                rules.extend(words(selector, "channels"));
                canonical_selector(&rules)
            })
            .collect();
        Self {
            commands: command_rules(words(reply, "commands")),
            keys: words(reply, "keys"),
            channels: words(reply, "channels"),
            selectors,
        }
    }

    /// Every privilege the user holds, sorted: granting command rules, key
    /// and channel patterns, and selectors. Deny rules are not privileges.
    pub fn privileges(&self) -> Vec<String> {
        let mut privileges: Vec<String> = self
            .commands
            .iter()
            .filter(|rule| rule.starts_with('+'))
            .chain(&self.keys)
            .chain(&self.channels)
            .chain(&self.selectors)
            .cloned()
            .collect();
        privileges.sort();
        privileges.dedup();
        privileges
    }

    /// The root deny rules (`-keys`, `-@dangerous`, `-config|set`).
    pub fn denials(&self) -> impl Iterator<Item = &str> {
        self.commands
            .iter()
            .filter(|rule| rule.starts_with('-'))
            .map(String::as_str)
    }

    /// This ACL without the privileges `approved` does not list: every deny
    /// rule stays where it was.
    pub fn narrowed(&self, approved: &[Scope]) -> Self {
        let keep = |rule: &String| approved.iter().any(|scope| scope.to_string() == *rule);
        Self {
            commands: self
                .commands
                .iter()
                .filter(|rule| !rule.starts_with('+') || keep(rule))
                .cloned()
                .collect(),
            keys: self.keys.iter().filter(|p| keep(p)).cloned().collect(),
            channels: self.channels.iter().filter(|p| keep(p)).cloned().collect(),
            selectors: self.selectors.iter().filter(|s| keep(s)).cloned().collect(),
        }
    }

    /// The `ACL SETUSER <user> ...` arguments that make a user's ACL exactly
    /// this one (passwords and flags untouched).
    pub fn setuser_rules(&self) -> Vec<String> {
        let mut rules: Vec<String> = ["resetkeys", "resetchannels", "clearselectors", "-@all"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        rules.extend(self.commands.iter().cloned());
        rules.extend(self.keys.iter().cloned());
        rules.extend(self.channels.iter().cloned());
        rules.extend(self.selectors.iter().cloned());
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn reply() -> Value {
        Value::Array(vec![
            bulk("flags"),
            Value::Array(vec![bulk("on")]),
            bulk("commands"),
            bulk("-@all +@read -keys +set"),
            bulk("keys"),
            bulk("~app:* %R~cache:*"),
            bulk("channels"),
            bulk(""),
            bulk("selectors"),
            Value::Array(vec![Value::Array(vec![
                bulk("commands"),
                bulk("-@all +del"),
                bulk("keys"),
                bulk("~tmp:*"),
                bulk("channels"),
                bulk(""),
            ])]),
        ])
    }

    #[test]
    fn granting_rules_and_selectors_are_privileges_and_deny_rules_are_not() {
        let acl = Acl::parse(&reply());
        assert_eq!(
            acl.privileges(),
            vec!["%R~cache:*", "(+del ~tmp:*)", "+@read", "+set", "~app:*"]
        );
        assert_eq!(acl.denials().collect::<Vec<_>>(), vec!["-keys"]);
    }

    #[test]
    fn narrowing_keeps_deny_rules_in_place_and_drops_unapproved_selectors() {
        let approved: Vec<Scope> = ["+@read", "~app:*"]
            .iter()
            .map(|s| s.parse().expect("scope"))
            .collect();
        let narrowed = Acl::parse(&reply()).narrowed(&approved);
        assert_eq!(
            narrowed.setuser_rules(),
            vec![
                "resetkeys",
                "resetchannels",
                "clearselectors",
                "-@all",
                "+@read",
                "-keys",
                "~app:*"
            ]
        );
    }
}
