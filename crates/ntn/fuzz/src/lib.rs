//! Shared checks of the fuzz targets; `crates/ntn/tests/hardening_props.rs`
//! includes `checks.rs` too, so the stable proptest versions check the same
//! properties.

pub mod checks;
