//! Lease holder identities: `<host>/<pid>/<random>`, so a process can tell
//! that a lease belongs to a dead process on the same host and take it over
//! at once instead of waiting for the lease to expire.

use std::path::Path;

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A new holder identity for this process.
pub fn new_holder() -> String {
    format!("{}/{}/{}", host(), std::process::id(), uuid::Uuid::new_v4())
}

/// Whether `holder` names a process on this host that no longer runs.
/// Unknown formats, other hosts and hosts without `/proc` are never dead.
pub fn is_dead_local(holder: &str) -> bool {
    let mut parts = holder.splitn(3, '/');
    let (Some(h), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if h != host() || !Path::new("/proc/self").exists() {
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) if pid != std::process::id() => !running(pid),
        _ => false,
    }
}

/// Whether `pid` runs: it exists and is not a zombie (killed, not yet reaped
/// by a parent that no longer watches it).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) S ...`: the state follows the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_none_or(|state| !matches!(state, 'Z' | 'X')),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_dead() {
        assert!(!is_dead_local(&new_holder()));
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        assert!(is_dead_local(&format!("{}/{pid}/x", host())));
        assert!(!is_dead_local(&format!("elsewhere/{pid}/x")));
        assert!(!is_dead_local("garbage"));
    }
}
