//! Fuzz target: see [`tenure_fuzz::checks::audit_verify`].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tenure_fuzz::checks::audit_verify::audit_verify(data));
