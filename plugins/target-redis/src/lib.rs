//! The `redis` target: Redis ACL users.
//!
//! - Rotate: the new password is added next to the old one
//!   (`ACL SETUSER user #<sha256>`), so both work during the grace period;
//!   retire removes the old one. Passwords are sent as SHA-256 hashes, never
//!   in clear text, so `MONITOR`, the slow log and `ACL LOG` never show them.
//! - Test: a fresh connection authenticating with the new credential.
//! - Narrow: the user's granting command rules (`+@read`, `+get`), key
//!   patterns (`~app:*`), channel patterns (`&events:*`) and selectors
//!   (`(+del ~tmp:*)`) are cut down to the approved scopes (see [`Scope`]);
//!   deny rules stay where they were, nothing is ever added, and
//!   `ACL DRYRUN` proves every command a deny rule refused is still refused.
//! - Revoke: `ACL SETUSER user off`, then `CLIENT KILL USER user`, then a
//!   fresh `AUTH` proves the refusal (`WRONGPASS`).
//!
//! The secret is the database-style JSON document (`username`, `password`,
//! optional `host` and `port`).

mod acl;
mod config;
mod dryrun;
mod plugin;
mod scope;
mod target;

pub use config::RedisConfig;
pub use plugin::Plugin;
pub use scope::Scope;
pub use target::RedisTarget;
