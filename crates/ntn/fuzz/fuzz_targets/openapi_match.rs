//! The OpenAPI path matcher: first line the path, the rest a spec (JSON) or
//! the sample spec; see `checks::check_spec_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ntn_fuzz::checks::check_spec_bytes(data);
});
