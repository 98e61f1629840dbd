//! Fuzz target: see [`tenure_fuzz::checks::webhook_verify`].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tenure_fuzz::checks::webhook_verify::webhook_verify(data));
