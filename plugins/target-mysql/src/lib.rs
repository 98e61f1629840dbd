//! The `mysql` target: MySQL and MariaDB accounts (`'user'@'host'`).
//!
//! - Rotate: `ALTER USER ... IDENTIFIED BY PASSWORD '<hash>'` on MariaDB
//!   (the server is sent a hash, never the password); on MySQL, which has no
//!   portable hashed form, `IDENTIFIED BY '<password>'` (MySQL rewrites it
//!   out of its logs).
//! - Test: a fresh connection with the new credential.
//! - Narrow: everything the account itself holds (global, database, table
//!   and column privileges, the grant option at each level, routine
//!   privileges, PROXY, granted roles and their admin option; see
//!   [`Scope`] for the scope syntax), from `information_schema` and the
//!   `mysql.*` grant tables, revoked down to the approved scopes one
//!   privilege at a time. Nothing approved is lost: a revoke that takes an
//!   approved privilege with it (a table privilege takes the same column
//!   privileges) is followed by granting that one back, and the result is
//!   read again and checked. A default role the account no longer holds is
//!   cleared (MariaDB).
//! - Revoke: `ACCOUNT LOCK` (or `DROP USER`), kills the account's
//!   connections, and proves a login is refused, recording the error number.

mod config;
mod plugin;
mod privileges;
mod target;

pub use config::{MysqlConfig, RevokeMode};
pub use plugin::Plugin;
pub use privileges::{Account, GRANT_OPTION, Level, RoutineKind, Scope};
pub use target::MysqlTarget;
