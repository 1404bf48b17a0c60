//! `ntn api` URL and path handling: the typed path or URL on the first line,
//! a header or query value after it; see `checks::check_url_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ntn_fuzz::checks::check_url_bytes(data);
});
