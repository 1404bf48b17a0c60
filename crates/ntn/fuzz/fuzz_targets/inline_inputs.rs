//! `ntn api` inline inputs: one input per line; see `checks::check_inline_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ntn_fuzz::checks::check_inline_bytes(data);
});
