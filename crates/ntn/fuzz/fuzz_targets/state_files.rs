//! The state-file readers on arbitrary bytes; see `checks::check_state_bytes`.
#![no_main]

use std::sync::OnceLock;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // tmpfs when there is one: ntn's writes fsync.
    let dir = DIR.get_or_init(|| {
        tempfile::tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temp dir")
    });
    ntn_fuzz::checks::check_state_bytes(dir.path(), data);
});
