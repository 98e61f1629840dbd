//! The `mysql` target: MySQL and MariaDB accounts (`'user'@'host'`).
//!
//! - Rotate: `ALTER USER ... IDENTIFIED BY PASSWORD '<hash>'` on MariaDB
//!   (the server is sent a hash, never the password); on MySQL, which has no
//!   portable hashed form, `IDENTIFIED BY '<password>'` (MySQL rewrites it
//!   out of its logs).
//! - Test: a fresh connection with the new credential.
//! - Narrow: global, database and table privileges from `information_schema`,
//!   revoked down to the approved scopes.
//! - Revoke: `ACCOUNT LOCK` (or `DROP USER`), kills the account's
//!   connections, and proves a login is refused, recording the error number.

mod config;
mod privileges;
mod target;

pub use config::{MysqlConfig, RevokeMode};
pub use privileges::Scope;
pub use target::MysqlTarget;
