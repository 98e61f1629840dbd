//! Redis scopes: the ACL rules a record may approve, checked when the
//! configuration loads and written in the form `ACL GETUSER` reports, so
//! that what Redis reports compares equal to what the record approves.
//!
//! | scope | meaning |
//! | --- | --- |
//! | `+@read`, `+get`, `+config\|get` | a command, category or subcommand (lower case) |
//! | `~app:*`, `%R~cache:*`, `%W~queue:*` | a key pattern (read-write, read-only, write-only) |
//! | `&events:*` | a channel pattern |
//! | `(+del ~tmp:*)` | a selector: its rules (deny rules included) together |
//!
//! `allkeys`, `allchannels` and `allcommands` mean `~*`, `&*` and `+@all`.
//! Deny rules (`-keys`) are not scopes: narrowing keeps every deny rule.

use std::fmt;
use std::str::FromStr;

/// One privilege a Redis user can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A granting command rule, key pattern or channel pattern.
    Rule(String),
    /// A selector, in canonical form.
    Selector(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rule(rule) | Self::Selector(rule) => f.write_str(rule),
        }
    }
}

/// What kind of rule a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Grant,
    Deny,
    Keys,
    Channels,
}

/// One rule token in canonical form, or why it is not a rule.
fn rule(token: &str) -> Result<(Kind, String), String> {
    let command = |name: &str| {
        let valid = !name.is_empty()
            && name
                .strip_prefix('@')
                .unwrap_or(name)
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '|' | '-' | '_' | '.'))
            && !name.ends_with('|')
            && name != "@";
        valid.then(|| name.to_ascii_lowercase())
    };
    let lower = token.to_ascii_lowercase();
    match lower.as_str() {
        "allkeys" => return Ok((Kind::Keys, "~*".to_owned())),
        "allchannels" => return Ok((Kind::Channels, "&*".to_owned())),
        "allcommands" => return Ok((Kind::Grant, "+@all".to_owned())),
        "nocommands" => return Ok((Kind::Deny, "-@all".to_owned())),
        _ => {}
    }
    if let Some(name) = token.strip_prefix('+') {
        return command(name)
            .map(|name| (Kind::Grant, format!("+{name}")))
            .ok_or_else(|| format!("{token:?} is not a command, category or subcommand"));
    }
    if let Some(name) = token.strip_prefix('-') {
        return command(name)
            .map(|name| (Kind::Deny, format!("-{name}")))
            .ok_or_else(|| format!("{token:?} is not a command, category or subcommand"));
    }
    if let Some(pattern) = token.strip_prefix('~') {
        return nonempty(pattern, token).map(|p| (Kind::Keys, format!("~{p}")));
    }
    if let Some(pattern) = token.strip_prefix('&') {
        return nonempty(pattern, token).map(|p| (Kind::Channels, format!("&{p}")));
    }
    if let Some(rest) = token.strip_prefix('%') {
        let (perms, pattern) = rest
            .split_once('~')
            .ok_or_else(|| format!("{token:?}: expected %R~, %W~ or %RW~ and a key pattern"))?;
        let perms = perms.to_ascii_uppercase();
        let (read, write) = (perms.contains('R'), perms.contains('W'));
        if perms.is_empty() || perms.chars().any(|c| c != 'R' && c != 'W') {
            return Err(format!("{token:?}: key permissions are R, W or RW"));
        }
        let pattern = nonempty(pattern, token)?;
        let prefix = match (read, write) {
            (true, true) => "~",
            (true, false) => "%R~",
            _ => "%W~",
        };
        return Ok((Kind::Keys, format!("{prefix}{pattern}")));
    }
    Err(format!(
        "{token:?} is not a Redis ACL rule that grants something (+<command>, +@<category>, ~<keys>, %R~<keys>, &<channels> or a selector in parentheses)"
    ))
}

fn nonempty<'a>(pattern: &'a str, token: &str) -> Result<&'a str, String> {
    if pattern.is_empty() {
        Err(format!("{token:?}: empty pattern"))
    } else {
        Ok(pattern)
    }
}

/// A selector's rules (already canonical, in the order Redis reports
/// them: commands, then keys, then channels) as one scope string.
pub fn canonical_selector(rules: &[String]) -> String {
    format!("({})", rules.join(" "))
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix('(') {
            let inner = inner
                .strip_suffix(')')
                .ok_or_else(|| format!("selector {text:?} has no closing parenthesis"))?;
            let mut commands = Vec::new();
            let mut keys = Vec::new();
            let mut channels = Vec::new();
            for token in inner.split_whitespace() {
                let (kind, canonical) = rule(token).map_err(|e| format!("in selector: {e}"))?;
                match kind {
                    Kind::Grant | Kind::Deny => commands.push(canonical),
                    Kind::Keys => keys.push(canonical),
                    Kind::Channels => channels.push(canonical),
                }
            }
            if commands.first().map(String::as_str) == Some("-@all") {
                commands.remove(0);
            }
            if commands.is_empty() && keys.is_empty() && channels.is_empty() {
                return Err(format!("selector {text:?} grants nothing"));
            }
            commands.extend(keys);
            commands.extend(channels);
            return Ok(Self::Selector(canonical_selector(&commands)));
        }
        if text.contains(char::is_whitespace) {
            return Err(format!(
                "{text:?}: one rule per scope (group rules in parentheses for a selector)"
            ));
        }
        match rule(text)? {
            (Kind::Deny, _) => Err(format!(
                "{text:?} is a deny rule, not a privilege: narrowing keeps every deny rule a user has"
            )),
            (_, canonical) => Ok(Self::Rule(canonical)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_to_the_form_redis_reports() {
        for (input, canonical) in [
            ("+@READ", "+@read"),
            ("+GET", "+get"),
            ("+CONFIG|GET", "+config|get"),
            ("~app:*", "~app:*"),
            ("%r~cache:*", "%R~cache:*"),
            ("%RW~x:*", "~x:*"),
            ("%W~q:*", "%W~q:*"),
            ("&events:*", "&events:*"),
            ("allkeys", "~*"),
            ("allcommands", "+@all"),
            ("( ~tmp:* +DEL )", "(+del ~tmp:*)"),
            ("(-@all +@read -keys allkeys)", "(+@read -keys ~*)"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical, "{input}");
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
    }

    #[test]
    fn what_grants_nothing_or_is_not_a_rule_is_refused() {
        for bad in [
            "-keys",
            "on",
            ">secret",
            "nopass",
            "resetkeys",
            "+",
            "~",
            "%X~a",
            "+@read ~a",
            "(+get",
            "()",
            "",
            "get",
        ] {
            assert!(bad.parse::<Scope>().is_err(), "{bad:?} accepted");
        }
    }
}
