//! The `aws_iam` target: an IAM user's access keys, the most common
//! long-lived machine credential.
//!
//! - **rotate**: create the user's second key (IAM allows two), store it,
//!   prove it with STS `GetCallerIdentity` (retrying while IAM settles),
//!   promote; after the grace period deactivate the old key, then delete it.
//!   There are never more than two keys: an inactive leftover is deleted
//!   first, and a key created by an attempt that crashed before its secret
//!   was stored is recognised (the user carries the tag `tenure-issuing`
//!   with the run and the keys that existed before it) and deleted. Another
//!   active key that this secret does not hold is a conflict for a person.
//! - **narrow**: the privileges are everything the user can do, as strings
//!   (see the table in `holdings.rs`): managed policies (their ARNs), inline
//!   policies (`inline:<name>`), the console password (`console-login`),
//!   groups (`group:<name>`) with the policies each brings
//!   (`group:<name>/<arn>`, `group:<name>/inline:<policy>`) and the
//!   permissions boundary (`boundary:<arn>`). What the record does not
//!   approve is detached, deleted or left (a group is left, never edited:
//!   other users share it). Narrowing never widens and never loses anything
//!   approved: a boundary is never removed, nor a policy that denies
//!   anything, nor a group membership the record approves something
//!   through; such excess is kept and the narrowing fails, for a person.
//! - **revoke**: every access key of the user is deactivated and deleted,
//!   and its console password (login profile) deleted; the proof is STS
//!   refusing the old key (`InvalidClientTokenId`) and the user having no
//!   console password. A user's login (`user`, every key) counts as
//!   enabled while it has a console password, and disabling it deletes it.

mod config;
mod error;
mod holdings;
mod key;
mod plugin;
mod target;

pub use config::IamConfig;
pub use key::AccessKey;
pub use plugin::Plugin;
pub use target::IamTarget;
