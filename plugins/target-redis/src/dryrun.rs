//! Proof that a narrowing did not widen: every command a user's deny rules
//! refused before must still be refused after, asked of the server itself
//! with `ACL DRYRUN` (which checks permissions without running anything).

use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::acl::text;

/// At most this many commands are probed (a denied category such as
/// `@write` holds a few dozen); all in one round trip.
const MAX_PROBES: usize = 512;

/// A filler argument for probes: never a key anyone uses.
const FILLER: &str = "tenure:dryrun:probe";

/// One command to ask `ACL DRYRUN` about, with arguments that satisfy its arity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// `keys`, `config|set`.
    pub command: String,
    args: Vec<String>,
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

/// The arguments (command words included) for a command of `arity`
/// (negative: at least that many), as `COMMAND INFO` reports it.
fn arguments(command: &str, arity: i64) -> Vec<String> {
    let mut args: Vec<String> = command.split('|').map(str::to_owned).collect();
    let wanted = usize::try_from(arity.unsigned_abs()).unwrap_or(usize::MAX);
    while args.len() < wanted.min(16) {
        args.push(FILLER.to_owned());
    }
    args
}

/// A probe for each command in a `COMMAND INFO` reply; a container command
/// (`config`) is probed through its first subcommand.
fn probes_of(reply: &Value) -> Vec<Probe> {
    let Value::Array(entries) = reply else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let Value::Array(info) = entry else {
                return None;
            };
            let subcommand = match info.get(9) {
                Some(Value::Array(subs)) => subs.first(),
                _ => None,
            };
            let info = match subcommand {
                Some(Value::Array(sub)) => sub,
                _ => info,
            };
            let command = text(info.first()?)?.to_ascii_lowercase();
            let arity = integer(info.get(1)?)?;
            Some(Probe {
                args: arguments(&command, arity),
                command,
            })
        })
        .collect()
}

/// The commands `denials` (`-keys`, `-@dangerous`, `-config|set`) name,
/// as probes. `-@all` is the baseline every description starts from, not
/// something to prove.
pub async fn denied(
    connection: &mut MultiplexedConnection,
    denials: &[String],
) -> Result<Vec<Probe>, redis::RedisError> {
    let mut names: Vec<String> = Vec::new();
    for rule in denials {
        let name = rule.trim_start_matches('-');
        match name.strip_prefix('@') {
            Some("all") => {}
            Some(category) => {
                let commands: Vec<String> = redis::cmd("COMMAND")
                    .arg("LIST")
                    .arg("FILTERBY")
                    .arg("ACLCAT")
                    .arg(category)
                    .query_async(connection)
                    .await?;
                names.extend(commands);
            }
            None => names.push(name.to_owned()),
        }
    }
    names.sort();
    names.dedup();
    names.truncate(MAX_PROBES);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let reply: Value = redis::cmd("COMMAND")
        .arg("INFO")
        .arg(&names)
        .query_async(connection)
        .await?;
    Ok(probes_of(&reply))
}

/// The probes `user` may run: for each, whether `ACL DRYRUN` refused the
/// command itself (a refusal for a key or an arity error is not one).
pub async fn refused(
    connection: &mut MultiplexedConnection,
    user: &str,
    probes: &[Probe],
) -> Result<Vec<bool>, redis::RedisError> {
    if probes.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for probe in probes {
        pipe.cmd("ACL").arg("DRYRUN").arg(user).arg(&probe.args);
    }
    let replies: Vec<Value> = pipe.query_async(connection).await?;
    Ok(replies
        .iter()
        .map(|reply| text(reply).is_some_and(|t| t.contains("no permissions to run")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_satisfy_the_arity() {
        assert_eq!(arguments("get", 2), vec!["get", FILLER]);
        assert_eq!(
            arguments("config|set", -4),
            vec!["config", "set", FILLER, FILLER]
        );
        assert_eq!(arguments("flushall", -1), vec!["flushall"]);
    }
}
