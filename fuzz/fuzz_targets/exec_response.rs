//! Fuzz target: see [`tenure_fuzz::checks::exec_response`].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tenure_fuzz::checks::exec_response::exec_response(data));
