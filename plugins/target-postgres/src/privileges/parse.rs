//! Parsing a PostgreSQL scope: keywords in any case, identifiers folded to
//! lower case unless quoted like SQL, read into a [`Scope`] or refused.

use std::str::FromStr;

use super::{ATTRIBUTES, COLUMN_PRIVILEGES, Object, Scope};

impl Object {
    /// Parses `[TABLE] s.t`, `SEQUENCE s.n`, `FUNCTION s.f(args)`,
    /// `SCHEMA s`, `DATABASE d`; the keyword is optional for tables.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (keyword, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        let qualified = |name: &str, what: &str| match identifiers(name)?.as_slice() {
            [schema, object] => Ok((schema.clone(), object.clone())),
            _ => Err(format!(
                "{name:?}: name the {what} with its schema, like public.orders"
            )),
        };
        let single = |name: &str, what: &str| match identifiers(name)?.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!("invalid {what} name {name:?}")),
        };
        match keyword.to_ascii_uppercase().as_str() {
            "TABLE" => {
                qualified(rest, "table").map(|(schema, table)| Self::Table { schema, table })
            }
            "SEQUENCE" => {
                qualified(rest, "sequence").map(|(schema, name)| Self::Sequence { schema, name })
            }
            "FUNCTION" | "PROCEDURE" | "ROUTINE" => {
                let (name, args) = rest
                    .split_once('(')
                    .and_then(|(name, args)| Some((name, args.trim_end().strip_suffix(')')?)))
                    .ok_or_else(|| {
                        format!("{rest:?}: name the function with its argument types, like public.refund(integer)")
                    })?;
                let (schema, name) = qualified(name, "function")?;
                let args = args
                    .split(',')
                    .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|a| !a.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Self::Function { schema, name, args })
            }
            "SCHEMA" => single(rest, "schema").map(Self::Schema),
            "DATABASE" => single(rest, "database").map(Self::Database),
            _ if rest.is_empty() => {
                qualified(text, "table").map(|(schema, table)| Self::Table { schema, table })
            }
            _ => Err(format!("unknown kind of object {keyword:?}")),
        }
    }
}

/// Splits an identifier list like `public."Orders"` on unquoted dots.
fn identifiers(text: &str) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if current.is_empty() => {
                quoted = true;
                was_quoted = true;
            }
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            ('"', true) => quoted = false,
            ('.', false) => {
                parts.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            (c, true) => current.push(c),
            (c, false) if c.is_whitespace() => return Err("unexpected space in a name".into()),
            (c, false) => current.extend(c.to_lowercase()),
        }
    }
    if quoted {
        return Err("unterminated quoted name".into());
    }
    let _ = was_quoted;
    parts.push(current);
    if parts.iter().any(String::is_empty) {
        return Err("empty name".into());
    }
    Ok(parts)
}

/// Strips a case-insensitive `suffix` (a phrase) from `text`.
fn strip_phrase<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let upper = text.to_ascii_uppercase();
    let normalized = upper.split_whitespace().collect::<Vec<_>>().join(" ");
    if !normalized.ends_with(suffix) {
        return None;
    }
    // Remove as many words from the end of `text` as `suffix` has.
    let mut rest = text.trim_end();
    for _ in suffix.split(' ') {
        rest = rest.trim_end();
        let at = rest.rfind(char::is_whitespace)?;
        rest = &rest[..at];
    }
    Some(rest.trim_end())
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected `<PRIVILEGE> ON <schema>.<table>`, `<PRIVILEGE> (<column>) ON <schema>.<table>`, `<PRIVILEGE> ON SEQUENCE|FUNCTION|SCHEMA|DATABASE <name>`, `MEMBER OF <role>`, `OWNER OF <kind> <name>`, a role attribute such as SUPERUSER, or one of them `WITH GRANT OPTION`";
        let text = text.trim();
        if let Some(inner) = strip_phrase(text, "WITH GRANT OPTION") {
            return match inner.parse::<Self>()? {
                scope @ (Self::On { .. } | Self::Column { .. }) => {
                    Ok(Self::GrantOption(Box::new(scope)))
                }
                _ => Err(format!("{text:?}: only a privilege has a grant option")),
            };
        }
        if let Some(inner) = strip_phrase(text, "WITH ADMIN OPTION") {
            return match inner.parse::<Self>()? {
                scope @ Self::Member { .. } => Ok(Self::GrantOption(Box::new(scope))),
                _ => Err(format!("{text:?}: only a membership has an admin option")),
            };
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
        match upper.as_slice() {
            [attribute] if ATTRIBUTES.contains(attribute) => {
                return Ok(Self::Attribute((*attribute).to_owned()));
            }
            ["MEMBER", "OF", _] => {
                let role = identifiers(words[2])?;
                return match role.as_slice() {
                    [role] => Ok(Self::Member { role: role.clone() }),
                    _ => Err(format!("invalid role name in {text:?}")),
                };
            }
            ["OWNER", "OF", ..] => {
                let object = text
                    .splitn(3, char::is_whitespace)
                    .nth(2)
                    .ok_or_else(|| format!("invalid PostgreSQL scope {text:?}: {expected}"))?;
                return Object::parse(object).map(Self::Owner);
            }
            _ => {}
        }
        let upper_text = text.to_ascii_uppercase();
        let at = upper_text
            .find(" ON ")
            .ok_or_else(|| format!("invalid PostgreSQL scope {text:?}: {expected}"))?;
        let (left, object) = (text[..at].trim(), &text[at + 4..]);
        if let Some((privilege, column)) = left.split_once('(') {
            let privilege = privilege.trim().to_ascii_uppercase();
            let column = column
                .trim()
                .strip_suffix(')')
                .ok_or_else(|| format!("{text:?}: unterminated column list"))?;
            let column = match identifiers(column)?.as_slice() {
                [column] => column.clone(),
                _ => return Err(format!("{text:?}: name one column per scope")),
            };
            if !COLUMN_PRIVILEGES.contains(&privilege.as_str()) {
                return Err(format!("{text:?}: {privilege} is not a column privilege"));
            }
            return match Object::parse(object)? {
                Object::Table { schema, table } => Ok(Self::Column {
                    privilege,
                    schema,
                    table,
                    column,
                }),
                _ => Err(format!("{text:?}: column privileges are on tables")),
            };
        }
        let mut privilege = left.to_ascii_uppercase();
        if privilege == "TEMP" {
            privilege = "TEMPORARY".to_owned();
        }
        let object = Object::parse(object)?;
        if !object.privileges().contains(&privilege.as_str()) {
            return Err(format!(
                "invalid PostgreSQL scope {text:?}: {privilege} is not a {} privilege ({})",
                object.keyword().to_ascii_lowercase(),
                object.privileges().join(", ")
            ));
        }
        Ok(Self::On { privilege, object })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_to_canonical_form() {
        for (input, canonical) in [
            ("select on public.orders", "SELECT ON public.orders"),
            ("SELECT ON TABLE Public.Orders", "SELECT ON public.orders"),
            ("insert on public.\"Orders\"", "INSERT ON public.\"Orders\""),
            ("usage on schema public", "USAGE ON SCHEMA public"),
            ("member of readers", "MEMBER OF readers"),
            ("superuser", "SUPERUSER"),
            (
                "update (Status) on public.orders",
                "UPDATE (status) ON public.orders",
            ),
            (
                "usage on sequence public.orders_id_seq",
                "USAGE ON SEQUENCE public.orders_id_seq",
            ),
            (
                "execute on function public.refund( integer ,  character varying )",
                "EXECUTE ON FUNCTION public.refund(integer, character varying)",
            ),
            (
                "execute on procedure public.tidy()",
                "EXECUTE ON FUNCTION public.tidy()",
            ),
            ("temp on database shop", "TEMPORARY ON DATABASE shop"),
            (
                "connect on database \"Shop\"",
                "CONNECT ON DATABASE \"Shop\"",
            ),
            (
                "select on public.orders with  grant option",
                "SELECT ON public.orders WITH GRANT OPTION",
            ),
            (
                "member of readers with admin option",
                "MEMBER OF readers WITH ADMIN OPTION",
            ),
            (
                "owner of table public.orders",
                "OWNER OF TABLE public.orders",
            ),
            ("owner of schema app", "OWNER OF SCHEMA app"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical);
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
        assert!("select on orders".parse::<Scope>().is_err());
        assert!("drop everything".parse::<Scope>().is_err());
        assert!("execute on public.orders".parse::<Scope>().is_err());
        assert!("delete (a) on public.orders".parse::<Scope>().is_err());
        assert!("superuser with grant option".parse::<Scope>().is_err());
        assert!("connect on schema public".parse::<Scope>().is_err());
    }
}
