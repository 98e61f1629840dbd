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
//!
//! This file: the scope types and their canonical display form; `parse`
//! reads them back, `statements` turns them into `REVOKE` / `GRANT`.

mod parse;
mod statements;

use std::fmt;

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
