//! `.ci/run` sets `CI=true` itself, so a test whose service is missing
//! fails the run wherever it runs, instead of saying it skipped.

#[test]
fn ci_sets_ci_true_before_the_tests() {
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect(".ci/run");
    let set = script
        .lines()
        .position(|l| l.trim() == "export CI=true")
        .expect(".ci/run does not export CI=true");
    let tests = script
        .lines()
        .position(|l| l.trim().starts_with("./scripts/test"))
        .expect(".ci/run does not run scripts/test");
    assert!(set < tests, "CI=true is set after the tests start");
}
