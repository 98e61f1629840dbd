//! Replays the fuzz seeds (`fuzz/corpus/<target>`) and every input that
//! once failed a fuzz target (`fuzz/regressions/<target>`) through the same
//! checks the fuzz targets run (`fuzz/src/checks.rs`), on the stable
//! toolchain, on every test run: a fixed crash stays fixed, and the checks
//! keep compiling against the code they exercise.

// A source file of the fuzz crate (not a test file), compiled here too.
#[path = "../../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

/// Runs `check` on every file of the seeds and regressions of `target`.
fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for folder in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("entry").path();
            let data = std::fs::read(&path).expect("input");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{} fails its check", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "no seeds for {target}");
}

#[test]
fn config_load_seeds_and_regressions_pass() {
    replay("config_load", checks::config_load::config_load);
}

#[test]
fn cloudevent_seeds_and_regressions_pass() {
    replay("cloudevent", checks::cloudevent::cloudevent);
}

#[test]
fn eventgrid_seeds_and_regressions_pass() {
    replay("eventgrid", checks::eventgrid::eventgrid);
}

#[test]
fn webhook_verify_seeds_and_regressions_pass() {
    replay("webhook_verify", checks::webhook_verify::webhook_verify);
}

#[test]
fn exec_response_seeds_and_regressions_pass() {
    replay("exec_response", checks::exec_response::exec_response);
}

#[test]
fn audit_verify_seeds_and_regressions_pass() {
    replay("audit_verify", checks::audit_verify::audit_verify);
}
