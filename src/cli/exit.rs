//! The process exit codes, in one place (README, "Exit codes").

/// How `tenure` exits. The numbers are part of the interface: scripts and
/// CI jobs test them, so a variant's value never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitCode {
    /// `0`: success.
    Ok = 0,
    /// `1`: an action did not succeed, or a check found drift or could not
    /// be made (a provider or target could not be read).
    ActionFailed = 1,
    /// `2`: invalid configuration or usage.
    Config = 2,
    /// `3`: the audit trail failed verification.
    Audit = 3,
    /// `4`: the secret or path was not found.
    NotFound = 4,
    /// `5`: a runtime failure (state store, audit trail I/O, the async runtime).
    Runtime = 5,
}

impl ExitCode {
    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        Self::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn the_numbers_never_change() {
        let table = [
            (ExitCode::Ok, 0),
            (ExitCode::ActionFailed, 1),
            (ExitCode::Config, 2),
            (ExitCode::Audit, 3),
            (ExitCode::NotFound, 4),
            (ExitCode::Runtime, 5),
        ];
        for (code, number) in table {
            assert_eq!(code.code(), number, "{code:?}");
        }
    }
}
