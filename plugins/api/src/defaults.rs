//! Configuration defaults the database-like targets share (PostgreSQL,
//! MariaDB/MySQL, Redis), for `#[serde(default = "...")]`.

use std::time::Duration;

/// Length of generated passwords: 32.
pub fn password_length() -> usize {
    32
}

/// How long to wait for a connection: 10 s.
pub fn connect_timeout() -> Duration {
    Duration::from_secs(10)
}
