//! Small pieces every layer uses and none owns: the clock (injectable, so
//! tests never wait real time), time formats (RFC 3339 and durations for
//! people), sizes for people, and Ctrl-C.
//!
//! Nothing here does I/O beyond the clock and the signal handler, and nothing
//! here imports another ntn module but [`crate::error`].

pub mod clock;
pub mod signals;
pub mod size;
pub mod time;

pub use clock::{Clock, ManualClock, SystemClock};
pub use signals::{Hold, Interrupt};
