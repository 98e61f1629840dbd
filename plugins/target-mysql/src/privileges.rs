//! Scopes: `<PRIVILEGE> ON *.*`, `<PRIVILEGE> ON <db>.*`, `<PRIVILEGE> ON <db>.<table>`.
//!
//! Keywords are case-insensitive (`select on shop.orders` is
//! `SELECT ON shop.orders`); names are kept as written and quoted with
//! backticks when they are not plain. `USAGE` (no privilege at all) is never
//! reported.

use std::fmt;
use std::str::FromStr;

/// One privilege an account can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// SELECT, INSERT, ... (upper case, words separated by one space).
    pub privilege: String,
    /// `None` for `*.*`.
    pub database: Option<String>,
    /// `None` for `db.*` and `*.*`.
    pub table: Option<String>,
}

fn name(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        text.to_owned()
    } else {
        format!("`{}`", text.replace('`', "``"))
    }
}

/// Always-quoted identifier for statements.
pub fn quoted(text: &str) -> String {
    format!("`{}`", text.replace('`', "``"))
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.database, &self.table) {
            (None, _) => write!(f, "{} ON *.*", self.privilege),
            (Some(db), None) => write!(f, "{} ON {}.*", self.privilege, name(db)),
            (Some(db), Some(table)) => {
                write!(f, "{} ON {}.{}", self.privilege, name(db), name(table))
            }
        }
    }
}

fn unquote(part: &str) -> Result<String, String> {
    match part.strip_prefix('`').and_then(|p| p.strip_suffix('`')) {
        Some(inner) => Ok(inner.replace("``", "`")),
        None if part.contains('`') || part.is_empty() => Err(format!("invalid name {part:?}")),
        None => Ok(part.to_owned()),
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "invalid MySQL scope {text:?}: expected `<PRIVILEGE> ON *.*`, `<PRIVILEGE> ON <db>.*` or `<PRIVILEGE> ON <db>.<table>`"
            )
        };
        let upper = text.to_ascii_uppercase();
        let at = upper.rfind(" ON ").ok_or_else(invalid)?;
        let privilege = upper[..at].split_whitespace().collect::<Vec<_>>().join(" ");
        let object = text[at + 4..].trim();
        if privilege.is_empty() || privilege == "USAGE" || object.contains(char::is_whitespace) {
            return Err(invalid());
        }
        let (db, table) = object.split_once('.').ok_or_else(invalid)?;
        let scope = match (db, table) {
            ("*", "*") => Scope {
                privilege,
                database: None,
                table: None,
            },
            (db, "*") => Scope {
                privilege,
                database: Some(unquote(db)?),
                table: None,
            },
            (db, table) => Scope {
                privilege,
                database: Some(unquote(db)?),
                table: Some(unquote(table)?),
            },
        };
        Ok(scope)
    }
}

impl Scope {
    /// `REVOKE <privilege> ON <object> FROM <account>`.
    pub fn revoke_statement(&self, account: &str) -> String {
        let object = match (&self.database, &self.table) {
            (None, _) => "*.*".to_owned(),
            (Some(db), None) => format!("{}.*", quoted(db)),
            (Some(db), Some(table)) => format!("{}.{}", quoted(db), quoted(table)),
        };
        format!("REVOKE {} ON {object} FROM {account}", self.privilege)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_to_canonical_form() {
        for (input, canonical) in [
            ("select on shop.orders", "SELECT ON shop.orders"),
            ("Select On shop.*", "SELECT ON shop.*"),
            (
                "create   temporary tables on *.*",
                "CREATE TEMPORARY TABLES ON *.*",
            ),
            ("insert on `my-db`.`t`", "INSERT ON `my-db`.t"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical);
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
        assert!("usage on *.*".parse::<Scope>().is_err());
        assert!("select shop.orders".parse::<Scope>().is_err());
    }

    #[test]
    fn revoke_statements_quote_names() {
        let scope: Scope = "DELETE ON shop.orders".parse().expect("scope");
        assert_eq!(
            scope.revoke_statement("'app'@'%'"),
            "REVOKE DELETE ON `shop`.`orders` FROM 'app'@'%'"
        );
    }
}
