//! Fuzz target: see [`tenure_fuzz::checks::eventgrid`].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tenure_fuzz::checks::eventgrid::eventgrid(data));
