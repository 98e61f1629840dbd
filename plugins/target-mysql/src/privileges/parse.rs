//! Scopes: every kind of privilege a MariaDB / MySQL account can hold, one
//! privilege per scope.
//!
//! | Scope                                      | What the account holds                          |
//! |--------------------------------------------|-------------------------------------------------|
//! | `<PRIVILEGE> ON *.*`                       | a global privilege                              |
//! | `<PRIVILEGE> ON <db>.*`                    | a database privilege                            |
//! | `<PRIVILEGE> ON <db>.<table>`              | a table privilege                               |
//! | `<PRIVILEGE> (<column>) ON <db>.<table>`   | a column privilege (SELECT, INSERT, UPDATE, REFERENCES) |
//! | `<PRIVILEGE> ON PROCEDURE <db>.<name>`     | a routine privilege (EXECUTE, ALTER ROUTINE); also `FUNCTION`, `PACKAGE`, `PACKAGE BODY` |
//! | `GRANT OPTION ON *.*` (`<db>.*`, `<db>.<table>`, `PROCEDURE <db>.<name>`, ...) | the grant option at that level |
//! | `ROLE <role>`                              | a role granted to the account (MySQL: `ROLE <role>@<host>` unless the host is `%`) |
//! | `ADMIN OPTION ON ROLE <role>`              | the admin option on a granted role (kept only with `ROLE <role>`) |
//! | `PROXY ON <user>@<host>`                   | the PROXY privilege (`<user>` alone when the host is `%`) |
//! | `GRANT OPTION ON PROXY <user>@<host>`      | PROXY's grant option (kept only with `PROXY ON <user>@<host>`) |
//!
//! Keywords are case-insensitive (`select on shop.orders` is
//! `SELECT ON shop.orders`; `select (id) on shop.orders` is
//! `SELECT (id) ON shop.orders`); `ON TABLE <db>.<table>` is accepted for
//! `ON <db>.<table>`. Names are kept as written and quoted with backticks
//! (doubling a backtick inside) when they are not plain or read like a
//! keyword; `'name'` quoting is accepted too. `USAGE` (no privilege at all)
//! is never reported. Each scope parses back from its display form.

use std::fmt;
use std::str::FromStr;

/// `GRANT OPTION`, a privilege of its own at each level.
pub const GRANT_OPTION: &str = "GRANT OPTION";

/// A database level a privilege applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// `*.*`.
    Global,
    /// `<db>.*`.
    Database(String),
    /// `<db>.<table>`.
    Table {
        /// The table's database.
        database: String,
        /// The table.
        table: String,
    },
}

/// The kind of a stored routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoutineKind {
    /// `PROCEDURE`.
    Procedure,
    /// `FUNCTION`.
    Function,
    /// `PACKAGE` (MariaDB, Oracle mode).
    Package,
    /// `PACKAGE BODY` (MariaDB, Oracle mode).
    PackageBody,
}

impl RoutineKind {
    /// The keyword(s), as in `GRANT EXECUTE ON <keyword> db.name`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Procedure => "PROCEDURE",
            Self::Function => "FUNCTION",
            Self::Package => "PACKAGE",
            Self::PackageBody => "PACKAGE BODY",
        }
    }

    /// `mysql.procs_priv.Routine_type`.
    pub fn from_catalog(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "PROCEDURE" => Some(Self::Procedure),
            "FUNCTION" => Some(Self::Function),
            "PACKAGE" => Some(Self::Package),
            "PACKAGE BODY" => Some(Self::PackageBody),
            _ => None,
        }
    }
}

/// A role or a proxied user: `name`, or `name@host`. `host` is `None` for
/// a MariaDB role (roles have no host) and for MySQL's `%`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    /// The user or role name.
    pub name: String,
    /// The host part; `None` for `%` or none.
    pub host: Option<String>,
}

impl Account {
    /// `name` with `host`, `%` and no host being the same.
    pub fn new(name: impl Into<String>, host: Option<String>) -> Self {
        Self {
            name: name.into(),
            host: host.filter(|h| h != "%"),
        }
    }

    /// `'name'@'host'` (`%` when there is no host).
    fn user_literal(&self) -> String {
        format!(
            "{}@{}",
            literal(&self.name),
            literal(self.host.as_deref().unwrap_or("%"))
        )
    }

    /// The role in a `GRANT` / `REVOKE`: MariaDB names a role alone, MySQL
    /// as `'role'@'host'`.
    fn role(&self, mariadb: bool) -> String {
        match (&self.host, mariadb) {
            (None, true) => quoted(&self.name),
            _ => self.user_literal(),
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            None => write!(f, "{}", name(&self.name)),
            Some(host) => write!(f, "{}@{}", name(&self.name), name(host)),
        }
    }
}

/// One privilege an account can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `<PRIVILEGE> ON <level>`, `GRANT OPTION` included.
    Privilege {
        /// SELECT, INSERT, ... (upper case, words separated by one space).
        privilege: String,
        /// Where it applies.
        level: Level,
    },
    /// `<PRIVILEGE> (<column>) ON <db>.<table>`.
    Column {
        /// SELECT, INSERT, UPDATE or REFERENCES.
        privilege: String,
        /// The table's database.
        database: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// `<PRIVILEGE> ON PROCEDURE <db>.<name>` (or `FUNCTION`, ...),
    /// `GRANT OPTION` included.
    Routine {
        /// EXECUTE, ALTER ROUTINE or GRANT OPTION.
        privilege: String,
        /// Procedure, function, package or package body.
        kind: RoutineKind,
        /// The routine's database.
        database: String,
        /// The routine.
        name: String,
    },
    /// `ROLE <role>`: the role is granted to the account.
    Role(Account),
    /// `ADMIN OPTION ON ROLE <role>`: the account may grant the role.
    RoleAdmin(Account),
    /// `PROXY ON <user>@<host>`.
    Proxy(Account),
    /// `GRANT OPTION ON PROXY <user>@<host>`.
    ProxyGrant(Account),
}

/// Words that an unquoted name must not be, or the scope would read
/// differently.
const KEYWORDS: [&str; 9] = [
    "ON",
    "ROLE",
    "PROXY",
    "TABLE",
    "PROCEDURE",
    "FUNCTION",
    "PACKAGE",
    "BODY",
    "USAGE",
];

fn name(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !KEYWORDS.contains(&text.to_ascii_uppercase().as_str());
    if plain { text.to_owned() } else { quoted(text) }
}

/// Always-quoted identifier for statements.
pub fn quoted(text: &str) -> String {
    format!("`{}`", text.replace('`', "``"))
}

/// A string literal for MySQL: single quotes, quotes doubled. The admin
/// session runs with `NO_BACKSLASH_ESCAPES`, so a backslash is a plain
/// character and doubling is the only escape: the literal means the same
/// whatever the server's own `sql_mode`.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn level(level: &Level) -> String {
    match level {
        Level::Global => "*.*".to_owned(),
        Level::Database(db) => format!("{}.*", name(db)),
        Level::Table { database, table } => format!("{}.{}", name(database), name(table)),
    }
}

fn level_quoted(level: &Level) -> String {
    match level {
        Level::Global => "*.*".to_owned(),
        Level::Database(db) => format!("{}.*", quoted(db)),
        Level::Table { database, table } => format!("{}.{}", quoted(database), quoted(table)),
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Privilege {
                privilege,
                level: on,
            } => write!(f, "{privilege} ON {}", level(on)),
            Self::Column {
                privilege,
                database,
                table,
                column,
            } => write!(
                f,
                "{privilege} ({}) ON {}.{}",
                name(column),
                name(database),
                name(table)
            ),
            Self::Routine {
                privilege,
                kind,
                database,
                name: routine,
            } => write!(
                f,
                "{privilege} ON {} {}.{}",
                kind.keyword(),
                name(database),
                name(routine)
            ),
            Self::Role(role) => write!(f, "ROLE {role}"),
            Self::RoleAdmin(role) => write!(f, "ADMIN OPTION ON ROLE {role}"),
            Self::Proxy(user) => write!(f, "PROXY ON {user}"),
            Self::ProxyGrant(user) => write!(f, "{GRANT_OPTION} ON PROXY {user}"),
        }
    }
}

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

impl Scope {
    /// The scope this one depends on: an admin option needs its role, a
    /// PROXY grant option its PROXY. Revoking that one removes this one too.
    pub fn requires(&self) -> Option<Scope> {
        match self {
            Self::RoleAdmin(role) => Some(Self::Role(role.clone())),
            Self::ProxyGrant(user) => Some(Self::Proxy(user.clone())),
            _ => None,
        }
    }

    /// The statement that takes this one privilege from `account` (a
    /// quoted `'user'@'host'`), and nothing else it could keep. Revoking a
    /// table privilege also takes the same privilege on the table's columns,
    /// and on MySQL (which cannot revoke an admin option alone) revoking an
    /// admin option takes the role, as revoking a PROXY grant option takes
    /// PROXY: the caller restores what was approved
    /// ([`Scope::grant_statement`]).
    pub fn revoke_statement(&self, account: &str, mariadb: bool) -> String {
        match self {
            Self::Privilege { privilege, level } => {
                format!(
                    "REVOKE {privilege} ON {} FROM {account}",
                    level_quoted(level)
                )
            }
            Self::Column {
                privilege,
                database,
                table,
                column,
            } => format!(
                "REVOKE {privilege} ({}) ON {}.{} FROM {account}",
                quoted(column),
                quoted(database),
                quoted(table)
            ),
            Self::Routine {
                privilege,
                kind,
                database,
                name,
            } => format!(
                "REVOKE {privilege} ON {} {}.{} FROM {account}",
                kind.keyword(),
                quoted(database),
                quoted(name)
            ),
            Self::Role(role) => format!("REVOKE {} FROM {account}", role.role(mariadb)),
            Self::RoleAdmin(role) if mariadb => {
                format!(
                    "REVOKE ADMIN OPTION FOR {} FROM {account}",
                    role.role(mariadb)
                )
            }
            Self::RoleAdmin(role) => format!("REVOKE {} FROM {account}", role.role(mariadb)),
            Self::Proxy(user) | Self::ProxyGrant(user) => {
                format!("REVOKE PROXY ON {} FROM {account}", user.user_literal())
            }
        }
    }

    /// The statement that gives this privilege back to `account`, exactly
    /// (a grant option alone is granted with `USAGE`, which adds nothing).
    /// `with_option` adds the role's admin option or PROXY's grant option
    /// to a `ROLE` or `PROXY` grant.
    pub fn grant_statement(&self, account: &str, mariadb: bool, with_option: bool) -> String {
        match self {
            Self::Privilege { privilege, level } if privilege == GRANT_OPTION => format!(
                "GRANT USAGE ON {} TO {account} WITH GRANT OPTION",
                level_quoted(level)
            ),
            Self::Privilege { privilege, level } => {
                format!("GRANT {privilege} ON {} TO {account}", level_quoted(level))
            }
            Self::Column {
                privilege,
                database,
                table,
                column,
            } => format!(
                "GRANT {privilege} ({}) ON {}.{} TO {account}",
                quoted(column),
                quoted(database),
                quoted(table)
            ),
            Self::Routine {
                privilege,
                kind,
                database,
                name,
            } => {
                let (privilege, option) = if privilege == GRANT_OPTION {
                    ("USAGE", " WITH GRANT OPTION")
                } else {
                    (privilege.as_str(), "")
                };
                format!(
                    "GRANT {privilege} ON {} {}.{} TO {account}{option}",
                    kind.keyword(),
                    quoted(database),
                    quoted(name)
                )
            }
            Self::Role(role) | Self::RoleAdmin(role) => {
                let option = with_option || matches!(self, Self::RoleAdmin(_));
                format!(
                    "GRANT {} TO {account}{}",
                    role.role(mariadb),
                    if option { " WITH ADMIN OPTION" } else { "" }
                )
            }
            Self::Proxy(user) | Self::ProxyGrant(user) => {
                let option = with_option || matches!(self, Self::ProxyGrant(_));
                format!(
                    "GRANT PROXY ON {} TO {account}{}",
                    user.user_literal(),
                    if option { " WITH GRANT OPTION" } else { "" }
                )
            }
        }
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

    #[test]
    fn revoke_statements_quote_names() {
        let scope: Scope = "DELETE ON shop.orders".parse().expect("scope");
        assert_eq!(
            scope.revoke_statement("'app'@'%'", true),
            "REVOKE DELETE ON `shop`.`orders` FROM 'app'@'%'"
        );
        let account = "'app'@'%'";
        for (scope, mariadb, revoke, grant) in [
            (
                "SELECT (`a``b`) ON shop.orders",
                true,
                "REVOKE SELECT (`a``b`) ON `shop`.`orders` FROM 'app'@'%'",
                "GRANT SELECT (`a``b`) ON `shop`.`orders` TO 'app'@'%'",
            ),
            (
                "EXECUTE ON PROCEDURE shop.p",
                true,
                "REVOKE EXECUTE ON PROCEDURE `shop`.`p` FROM 'app'@'%'",
                "GRANT EXECUTE ON PROCEDURE `shop`.`p` TO 'app'@'%'",
            ),
            (
                "GRANT OPTION ON FUNCTION shop.f",
                true,
                "REVOKE GRANT OPTION ON FUNCTION `shop`.`f` FROM 'app'@'%'",
                "GRANT USAGE ON FUNCTION `shop`.`f` TO 'app'@'%' WITH GRANT OPTION",
            ),
            (
                "GRANT OPTION ON shop.*",
                true,
                "REVOKE GRANT OPTION ON `shop`.* FROM 'app'@'%'",
                "GRANT USAGE ON `shop`.* TO 'app'@'%' WITH GRANT OPTION",
            ),
            (
                "ROLE `it's`",
                true,
                "REVOKE `it's` FROM 'app'@'%'",
                "GRANT `it's` TO 'app'@'%'",
            ),
            (
                "ROLE `it's`",
                false,
                "REVOKE 'it''s'@'%' FROM 'app'@'%'",
                "GRANT 'it''s'@'%' TO 'app'@'%'",
            ),
            (
                "ADMIN OPTION ON ROLE r",
                true,
                "REVOKE ADMIN OPTION FOR `r` FROM 'app'@'%'",
                "GRANT `r` TO 'app'@'%' WITH ADMIN OPTION",
            ),
            (
                "ADMIN OPTION ON ROLE r@localhost",
                false,
                "REVOKE 'r'@'localhost' FROM 'app'@'%'",
                "GRANT 'r'@'localhost' TO 'app'@'%' WITH ADMIN OPTION",
            ),
            (
                "PROXY ON alice",
                true,
                "REVOKE PROXY ON 'alice'@'%' FROM 'app'@'%'",
                "GRANT PROXY ON 'alice'@'%' TO 'app'@'%'",
            ),
            (
                "GRANT OPTION ON PROXY alice@localhost",
                true,
                "REVOKE PROXY ON 'alice'@'localhost' FROM 'app'@'%'",
                "GRANT PROXY ON 'alice'@'localhost' TO 'app'@'%' WITH GRANT OPTION",
            ),
        ] {
            let parsed: Scope = scope.parse().expect(scope);
            assert_eq!(parsed.revoke_statement(account, mariadb), revoke);
            assert_eq!(parsed.grant_statement(account, mariadb, false), grant);
        }
        let role: Scope = "ROLE r".parse().expect("role");
        assert_eq!(
            role.grant_statement(account, true, true),
            "GRANT `r` TO 'app'@'%' WITH ADMIN OPTION"
        );
        assert_eq!(
            "ADMIN OPTION ON ROLE r"
                .parse::<Scope>()
                .expect("admin")
                .requires(),
            Some(role)
        );
    }
}
