//! Parsing a MySQL scope: tokens (names in backticks or single quotes,
//! keywords in any case) read into a [`Scope`], and everything else refused.

use std::str::FromStr;

use super::{Account, GRANT_OPTION, Level, RoutineKind, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted run: a keyword, a privilege word or a plain name.
    Word(String),
    /// A name in backticks or single quotes.
    Quoted(String),
    /// `.`, `*`, `(`, `)`, `@`, `,`.
    Punct(char),
}

const PUNCTUATION: &str = ".*()@,";

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '`' || c == '\'' {
            chars.next();
            let mut inner = String::new();
            loop {
                match chars.next() {
                    None => return Err(format!("unterminated name {text:?}")),
                    Some(q) if q == c => {
                        if chars.peek() == Some(&c) {
                            chars.next();
                            inner.push(c);
                        } else {
                            break;
                        }
                    }
                    Some(other) => inner.push(other),
                }
            }
            out.push(Token::Quoted(inner));
        } else if PUNCTUATION.contains(c) {
            chars.next();
            out.push(Token::Punct(c));
        } else {
            let mut word = String::new();
            while let Some(&w) = chars.peek() {
                if w.is_whitespace() || w == '`' || w == '\'' || PUNCTUATION.contains(w) {
                    break;
                }
                word.push(w);
                chars.next();
            }
            out.push(Token::Word(word));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn is_name(token: Option<&Token>) -> bool {
        matches!(token, Some(Token::Word(_) | Token::Quoted(_)))
    }

    /// The keyword `word` (any case), when a name follows it (so that a
    /// database called `procedure` in `procedure.x` stays a name).
    fn keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(0), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
            && Self::is_name(self.peek(1));
        if found {
            self.at += 1;
        }
        found
    }

    fn punct(&mut self, c: char) -> bool {
        let found = self.peek(0) == Some(&Token::Punct(c));
        if found {
            self.at += 1;
        }
        found
    }

    fn name(&mut self) -> Option<String> {
        match self.next() {
            Some(Token::Word(w)) => Some(w),
            Some(Token::Quoted(q)) => Some(q),
            _ => None,
        }
    }

    fn account(&mut self) -> Option<Account> {
        let user = self.name()?;
        let host = if self.punct('@') {
            Some(self.name()?)
        } else {
            None
        };
        Some(Account::new(user, host))
    }

    fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }
}

fn invalid(text: &str) -> String {
    format!(
        "invalid MySQL scope {text:?}: expected `<PRIVILEGE> ON *.*`, `<PRIVILEGE> ON <db>.*`, \
         `<PRIVILEGE> ON <db>.<table>`, `<PRIVILEGE> (<column>) ON <db>.<table>`, \
         `<PRIVILEGE> ON PROCEDURE|FUNCTION <db>.<name>`, `ROLE <role>`, \
         `ADMIN OPTION ON ROLE <role>`, `PROXY ON <user>@<host>` or `GRANT OPTION ON PROXY <user>@<host>`"
    )
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut p = Parser {
            tokens: tokens(text).map_err(|e| format!("{}: {e}", invalid(text)))?,
            at: 0,
        };
        let bad = || invalid(text);

        // `ROLE <role>`.
        if p.keyword("ROLE") {
            let role = p.account().ok_or_else(bad)?;
            return if p.done() {
                Ok(Self::Role(role))
            } else {
                Err(bad())
            };
        }

        // The privilege: words up to `ON` or `(`.
        let mut words = Vec::new();
        while let Some(Token::Word(w)) = p.peek(0) {
            if w.eq_ignore_ascii_case("ON") {
                break;
            }
            if !w.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
                return Err(bad());
            }
            words.push(w.to_ascii_uppercase());
            p.at += 1;
        }
        let privilege = words.join(" ");
        if privilege.is_empty() || privilege == "USAGE" {
            return Err(bad());
        }
        let column = if p.punct('(') {
            let column = p.name().ok_or_else(bad)?;
            if !p.punct(')') {
                return Err(bad());
            }
            Some(column)
        } else {
            None
        };
        match p.next() {
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("ON") => {}
            _ => return Err(bad()),
        }
        let special = ["ADMIN OPTION", "PROXY"].contains(&privilege.as_str());
        if special && column.is_some() {
            return Err(bad());
        }

        let scope = if privilege == "PROXY" {
            Self::Proxy(p.account().ok_or_else(bad)?)
        } else if p.keyword("ROLE") {
            if privilege != "ADMIN OPTION" || column.is_some() {
                return Err(bad());
            }
            Self::RoleAdmin(p.account().ok_or_else(bad)?)
        } else if p.keyword("PROXY") {
            if privilege != GRANT_OPTION || column.is_some() {
                return Err(bad());
            }
            Self::ProxyGrant(p.account().ok_or_else(bad)?)
        } else if special {
            return Err(bad());
        } else {
            let kind = if p.keyword("PROCEDURE") {
                Some(RoutineKind::Procedure)
            } else if p.keyword("FUNCTION") {
                Some(RoutineKind::Function)
            } else if p.keyword("PACKAGE") {
                if p.keyword("BODY") {
                    Some(RoutineKind::PackageBody)
                } else {
                    Some(RoutineKind::Package)
                }
            } else {
                p.keyword("TABLE");
                None
            };
            let on = if p.punct('*') {
                if !p.punct('.') || !p.punct('*') {
                    return Err(bad());
                }
                Level::Global
            } else {
                let database = p.name().ok_or_else(bad)?;
                if !p.punct('.') {
                    return Err(bad());
                }
                if p.punct('*') {
                    Level::Database(database)
                } else {
                    Level::Table {
                        database,
                        table: p.name().ok_or_else(bad)?,
                    }
                }
            };
            match (kind, column, on) {
                (None, None, level) => Self::Privilege { privilege, level },
                (None, Some(column), Level::Table { database, table })
                    if privilege != GRANT_OPTION =>
                {
                    Self::Column {
                        privilege,
                        database,
                        table,
                        column,
                    }
                }
                (Some(kind), None, Level::Table { database, table }) => Self::Routine {
                    privilege,
                    kind,
                    database,
                    name: table,
                },
                _ => return Err(bad()),
            }
        };
        if p.done() { Ok(scope) } else { Err(bad()) }
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
            ("select on table shop.orders", "SELECT ON shop.orders"),
            ("select on `my table`.`a``b`", "SELECT ON `my table`.`a``b`"),
            ("select on `on`.`role`", "SELECT ON `on`.`role`"),
            ("select on procedure.x", "SELECT ON `procedure`.x"),
            ("read_only admin on *.*", "READ_ONLY ADMIN ON *.*"),
        ] {
            let scope: Scope = input.parse().expect(input);
            assert_eq!(scope.to_string(), canonical, "{input}");
            assert_eq!(scope.to_string().parse::<Scope>().expect("reparse"), scope);
        }
        assert!("usage on *.*".parse::<Scope>().is_err());
        assert!("select shop.orders".parse::<Scope>().is_err());
    }

    #[test]
    fn new_scope_kinds_parse_to_canonical_form() {
        for (input, canonical) in [
            // Columns.
            ("select (id) on shop.orders", "SELECT (id) ON shop.orders"),
            (
                "Update(`unit price`) ON shop.`order lines`",
                "UPDATE (`unit price`) ON shop.`order lines`",
            ),
            (
                "references ( x ) on table shop.t",
                "REFERENCES (x) ON shop.t",
            ),
            // Routines.
            ("execute on procedure shop.p", "EXECUTE ON PROCEDURE shop.p"),
            (
                "Execute On Function shop.`f-1`",
                "EXECUTE ON FUNCTION shop.`f-1`",
            ),
            (
                "alter   routine on function shop.f",
                "ALTER ROUTINE ON FUNCTION shop.f",
            ),
            (
                "execute on package body shop.pk",
                "EXECUTE ON PACKAGE BODY shop.pk",
            ),
            ("execute on package shop.pk", "EXECUTE ON PACKAGE shop.pk"),
            (
                "grant option on procedure shop.p",
                "GRANT OPTION ON PROCEDURE shop.p",
            ),
            // Grant option at each level.
            ("grant option on *.*", "GRANT OPTION ON *.*"),
            ("Grant Option On shop.*", "GRANT OPTION ON shop.*"),
            ("grant option on shop.orders", "GRANT OPTION ON shop.orders"),
            // Roles.
            ("role app_reader", "ROLE app_reader"),
            ("Role `app reader`", "ROLE `app reader`"),
            ("role 'app_reader'", "ROLE app_reader"),
            ("role r@'%'", "ROLE r"),
            ("role r@localhost", "ROLE r@localhost"),
            ("role `on`", "ROLE `on`"),
            (
                "admin option on role app_reader",
                "ADMIN OPTION ON ROLE app_reader",
            ),
            // Proxy.
            ("proxy on alice@'%'", "PROXY ON alice"),
            ("proxy on 'alice'@'10.0.0.%'", "PROXY ON alice@`10.0.0.%`"),
            ("proxy on ''@'%'", "PROXY ON ``"),
            ("grant option on proxy alice", "GRANT OPTION ON PROXY alice"),
        ] {
            let scope: Scope = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(scope.to_string(), canonical, "{input}");
            assert_eq!(
                scope.to_string().parse::<Scope>().expect("reparse"),
                scope,
                "{canonical}"
            );
        }
    }

    #[test]
    fn malformed_scopes_are_refused() {
        for input in [
            "",
            "role",
            "role a b",
            "select (a, b) on shop.t",
            "select (a) on shop.*",
            "select (a) on *.*",
            "grant option (a) on shop.t",
            "execute on procedure shop.*",
            "select (a) on procedure shop.p",
            "select, insert on shop.t",
            "select on shop",
            "select on shop.t extra",
            "select on `shop.t",
            "admin option on shop.*",
            "select on role r",
            "execute on proxy alice",
            "proxy on shop.*",
            "usage on shop.*",
            "sel;ect on shop.t",
            "grant option (a) on proxy alice",
            "admin option (a) on role r",
            "proxy (a) on alice",
        ] {
            assert!(input.parse::<Scope>().is_err(), "{input:?} parsed");
        }
    }
}
