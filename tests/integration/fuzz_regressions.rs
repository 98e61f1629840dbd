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

/// One test per fuzz target, named `<test>`: it replays the seeds and
/// regressions of `<target>` through `checks::<target>::<target>`.
macro_rules! replay_tests {
    ($($test:ident: $target:ident,)*) => {
        $(
            #[test]
            fn $test() {
                replay(stringify!($target), checks::$target::$target);
            }
        )*
    };
}

replay_tests! {
    config_load_seeds_and_regressions_pass: config_load,
    cloudevent_seeds_and_regressions_pass: cloudevent,
    eventgrid_seeds_and_regressions_pass: eventgrid,
    webhook_verify_seeds_and_regressions_pass: webhook_verify,
    exec_response_seeds_and_regressions_pass: exec_response,
    audit_verify_seeds_and_regressions_pass: audit_verify,
}
