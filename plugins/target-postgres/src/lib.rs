//! The `postgres` target: PostgreSQL roles.
//!
//! - Rotate, `single` strategy: `ALTER ROLE ... PASSWORD` on the secret's role.
//! - Rotate, `dual` strategy: two login roles `<name>_a` / `<name>_b`, both
//!   members of the group role `<name>` that holds the privileges; the
//!   inactive one gets the new password, the secret flips to it, and the old
//!   one loses LOGIN after the grace period, so consumers never hold a dead
//!   credential.
//! - Test: a fresh connection with the new credential.
//! - Narrow: reads table and schema privileges, role memberships and role
//!   attributes from the catalog, revokes what the record does not approve.
//! - Revoke: NOLOGIN (or DROP ROLE), terminates the role's sessions, and
//!   proves a login is refused, recording the server's SQLSTATE.
//!
//! Passwords never reach the server in clear text: Tenure sends a
//! SCRAM-SHA-256 verifier computed locally, so a server logging statements
//! logs no password. Statement logging in the client is off.

mod config;
mod plugin;
mod privileges;
mod scram;
mod sql;
mod target;

pub use config::{PostgresConfig, RevokeMode, Strategy};
pub use plugin::Plugin;
pub use privileges::Scope;
pub use target::PostgresTarget;
