//! Helpers for tests against the servers `scripts/services` starts: where a
//! service is, names no other test run uses, and the OpenBao CLI.

/// The URL of a test service from the environment variable `var` (set by
/// `scripts/services`). With `CI=true` a missing service is a failure
/// (panics); otherwise the caller skips, and this says so.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set: run the tests with scripts/test")
        }
        Err(_) => {
            eprintln!("skipped: {var} is not set (run scripts/test)");
            None
        }
    }
}

/// Runs the OpenBao CLI (`bao`, which `scripts/services` installs) against
/// the dev server (TENURE_TEST_VAULT_ADDR, with TENURE_TEST_VAULT_TOKEN), for
/// what the Rust client has no API for; panics unless it succeeds.
pub fn bao(args: &[&str]) -> std::process::Output {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let out = std::process::Command::new("bao")
        .args(args)
        .env("VAULT_ADDR", var("TENURE_TEST_VAULT_ADDR"))
        .env("VAULT_TOKEN", var("TENURE_TEST_VAULT_TOKEN"))
        .output()
        .unwrap_or_else(|e| panic!("bao: {e}"));
    assert!(
        out.status.success(),
        "bao {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A name no other test run uses: `<prefix>_<8 hex digits>`.
pub fn unique_name(prefix: &str) -> String {
    let mut bytes = [0u8; 4];
    tenure_plugin_api::random::fill(&mut bytes).unwrap_or_else(|e| panic!("random: {e}"));
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{suffix}")
}
