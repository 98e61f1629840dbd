//! What a benchmark phase cost in CPU: the machine's counters (/proc/stat,
//! every process, so the servers count as well as Tenure) and one server's
//! own processes (a PostgreSQL cluster: the postmaster, its live backends
//! and those that exited).

/// The machine's CPU counters (/proc/stat), to tell what a phase cost in CPU
/// and whether it kept every core busy.
pub struct MachineCpu {
    busy: u64,
    total: u64,
    cores: usize,
}

impl MachineCpu {
    pub fn now() -> Self {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
        let total: u64 = fields.iter().take(8).sum();
        Self {
            busy: total - idle,
            total,
            cores: stat
                .lines()
                .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
                .count(),
        }
    }

    /// CPU milliseconds per operation and busy cores since `self`.
    pub fn since(&self, operations: usize) -> (f64, f64) {
        let now = Self::now();
        let ticks = 100.0; // USER_HZ on Linux
        let busy = (now.busy - self.busy) as f64;
        let total = (now.total - self.total).max(1) as f64;
        (
            busy / ticks * 1000.0 / operations as f64,
            busy / total * self.cores as f64,
        )
    }
}

/// The CPU time of one PostgreSQL cluster's processes, in clock ticks.
pub struct ServerCpu {
    postmaster: u32,
    ticks: u64,
}

/// utime + stime (and, with `children`, cutime + cstime: the backends that
/// exited and were reaped) of `pid`, in clock ticks.
fn ticks_of(pid: u32, children: bool) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // After `)`: state ppid ... utime(14th field overall) is index 11 here.
    let own = fields.get(10).copied().unwrap_or(0) + fields.get(11).copied().unwrap_or(0);
    let reaped = fields.get(12).copied().unwrap_or(0) + fields.get(13).copied().unwrap_or(0);
    own + if children { reaped } else { 0 }
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

impl ServerCpu {
    /// The cluster whose postmaster is `postmaster`, now.
    pub fn now(postmaster: u32) -> Self {
        let mut ticks = ticks_of(postmaster, true);
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse().ok()) else {
                    continue;
                };
                if parent_of(pid) == Some(postmaster) {
                    ticks += ticks_of(pid, false);
                }
            }
        }
        Self { postmaster, ticks }
    }

    /// The cluster's CPU milliseconds since `self`.
    pub fn since_ms(&self) -> f64 {
        let now = Self::now(self.postmaster);
        now.ticks.saturating_sub(self.ticks) as f64 / 100.0 * 1000.0
    }
}
