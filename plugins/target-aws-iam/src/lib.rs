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
//! - **narrow**: the privileges are the user's managed policies (their ARNs),
//!   inline policies (`inline:<name>`) and groups (`group:<name>`); whatever
//!   the record does not approve is detached, deleted or left.
//! - **revoke**: every access key of the user is deactivated and deleted;
//!   the proof is STS refusing the old key (`InvalidClientTokenId`).

mod config;
mod error;
mod key;
mod target;

pub use config::IamConfig;
pub use key::AccessKey;
pub use target::IamTarget;
