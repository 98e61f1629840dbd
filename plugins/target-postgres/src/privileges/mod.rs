//! Scopes: what a role may do, as canonical strings, read from the catalog
//! and revoked one by one.
//!
//! | scope | meaning |
//! | --- | --- |
//! | `SELECT ON public.orders` | a table (or view) privilege: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER |
//! | `UPDATE (status) ON public.orders` | a column privilege: SELECT, INSERT, UPDATE, REFERENCES |
//! | `USAGE ON SEQUENCE public.orders_id_seq` | a sequence privilege: USAGE, SELECT, UPDATE |
//! | `EXECUTE ON FUNCTION public.refund(integer, text)` | a function or procedure, with its argument types as PostgreSQL names them (`\df`) |
//! | `USAGE ON SCHEMA public` | a schema privilege: USAGE, CREATE |
//! | `CONNECT ON DATABASE shop` | a database privilege: CONNECT, CREATE, TEMPORARY |
//! | `MEMBER OF readers` | membership in another role (and what it grants) |
//! | `SUPERUSER` | a role attribute: SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS |
//! | `… WITH GRANT OPTION`, `MEMBER OF readers WITH ADMIN OPTION` | the right to pass the privilege on (approving it approves the privilege) |
//! | `OWNER OF TABLE public.orders` | ownership of a table, sequence, function, schema or database |
//!
//! Keywords are case-insensitive; identifiers are case-sensitive and quoted
//! like SQL (`SELECT ON public."Orders"`). Only privileges granted to the
//! role itself count, not those granted to PUBLIC. An owner's own
//! privileges on what it owns are its ownership, reported once as
//! `OWNER OF …`; narrowing never takes ownership away (that would need a
//! new owner): unapproved ownership fails the narrowing for a person.
//!
//! This file: the scope types and their canonical display form; `parse`
//! reads them, `statements` revokes them, `catalog` finds what a role holds.

mod catalog;
mod parse;
mod statements;

use std::fmt;

use crate::sql::display_ident;

pub use catalog::held;

const TABLE_PRIVILEGES: [&str; 7] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];
const COLUMN_PRIVILEGES: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "REFERENCES"];
const SEQUENCE_PRIVILEGES: [&str; 3] = ["USAGE", "SELECT", "UPDATE"];
const FUNCTION_PRIVILEGES: [&str; 1] = ["EXECUTE"];
const SCHEMA_PRIVILEGES: [&str; 2] = ["USAGE", "CREATE"];
const DATABASE_PRIVILEGES: [&str; 3] = ["CONNECT", "CREATE", "TEMPORARY"];
const ATTRIBUTES: [&str; 5] = [
    "SUPERUSER",
    "CREATEDB",
    "CREATEROLE",
    "REPLICATION",
    "BYPASSRLS",
];

/// Something a privilege is on, or a role owns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Object {
    /// A table, view, materialized view or foreign table.
    Table {
        /// The schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// A sequence.
    Sequence {
        /// The schema.
        schema: String,
        /// The sequence.
        name: String,
    },
    /// A function or procedure.
    Function {
        /// The schema.
        schema: String,
        /// The function.
        name: String,
        /// Its argument types, `, `-separated, as PostgreSQL names them.
        args: String,
    },
    /// A schema.
    Schema(String),
    /// A database.
    Database(String),
}

impl Object {
    /// The keyword for the object's kind.
    fn keyword(&self) -> &'static str {
        match self {
            Self::Table { .. } => "TABLE",
            Self::Sequence { .. } => "SEQUENCE",
            Self::Function { .. } => "FUNCTION",
            Self::Schema(_) => "SCHEMA",
            Self::Database(_) => "DATABASE",
        }
    }

    /// The privileges the kind of object has.
    fn privileges(&self) -> &'static [&'static str] {
        match self {
            Self::Table { .. } => &TABLE_PRIVILEGES,
            Self::Sequence { .. } => &SEQUENCE_PRIVILEGES,
            Self::Function { .. } => &FUNCTION_PRIVILEGES,
            Self::Schema(_) => &SCHEMA_PRIVILEGES,
            Self::Database(_) => &DATABASE_PRIVILEGES,
        }
    }

    /// The name as written in a scope (without the keyword).
    fn display_name(&self) -> String {
        match self {
            Self::Table { schema, table } => {
                format!("{}.{}", display_ident(schema), display_ident(table))
            }
            Self::Sequence { schema, name } => {
                format!("{}.{}", display_ident(schema), display_ident(name))
            }
            Self::Function { schema, name, args } => {
                format!("{}.{}({args})", display_ident(schema), display_ident(name))
            }
            Self::Schema(name) | Self::Database(name) => display_ident(name),
        }
    }
}

/// One privilege a role can hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// A privilege on a table, sequence, function, schema or database.
    On {
        /// SELECT, USAGE, EXECUTE, CONNECT, ...
        privilege: String,
        /// What it is on.
        object: Object,
    },
    /// A privilege on one column of a table.
    Column {
        /// SELECT, INSERT, UPDATE or REFERENCES.
        privilege: String,
        /// The schema.
        schema: String,
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Membership in a role.
    Member {
        /// The role.
        role: String,
    },
    /// A role attribute.
    Attribute(String),
    /// The right to grant a privilege on (`WITH GRANT OPTION`), or to
    /// administer a membership (`WITH ADMIN OPTION`).
    GrantOption(Box<Scope>),
    /// Ownership.
    Owner(Object),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::On { privilege, object } => match object {
                Object::Table { .. } => write!(f, "{privilege} ON {}", object.display_name()),
                _ => write!(
                    f,
                    "{privilege} ON {} {}",
                    object.keyword(),
                    object.display_name()
                ),
            },
            Self::Column {
                privilege,
                schema,
                table,
                column,
            } => write!(
                f,
                "{privilege} ({}) ON {}.{}",
                display_ident(column),
                display_ident(schema),
                display_ident(table)
            ),
            Self::Member { role } => write!(f, "MEMBER OF {}", display_ident(role)),
            Self::Attribute(attribute) => f.write_str(attribute),
            Self::GrantOption(inner) => match **inner {
                Self::Member { .. } => write!(f, "{inner} WITH ADMIN OPTION"),
                _ => write!(f, "{inner} WITH GRANT OPTION"),
            },
            Self::Owner(object) => {
                write!(f, "OWNER OF {} {}", object.keyword(), object.display_name())
            }
        }
    }
}
