//! The clock: what time it is, and waiting.
//!
//! Everything that waits (retries, `Retry-After`, login polling, backoff)
//! goes through a [`Clock`], so that tests pass a [`ManualClock`] whose
//! `sleep` only moves its hands: a test of a 30-second `Retry-After` takes no
//! time at all. Deadlines are measured with [`Clock::now`] as well.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time that can wait.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// A monotonic instant.
    fn now(&self) -> Instant;
    /// Milliseconds since the Unix epoch (wall time).
    fn unix_ms(&self) -> u64;
    /// Waits `d` (or, for a manual clock, advances by `d`).
    fn sleep(&self, d: Duration);
    /// Waits until `deadline` at most `d`; returns how long it waited.
    fn sleep_until_or(&self, d: Duration, deadline: Option<Instant>) -> Duration {
        let d = match deadline {
            Some(end) => d.min(end.saturating_duration_since(self.now())),
            None => d,
        };
        self.sleep(d);
        d
    }
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn unix_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A clock for tests: starts at the real time, and [`Clock::sleep`] advances
/// it instantly. [`ManualClock::slept`] says how long code "waited".
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    start_unix_ms: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    offset: Duration,
    slept: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock {
            start: Instant::now(),
            start_unix_ms: SystemClock.unix_ms(),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the clock forward without counting it as a sleep.
    pub fn advance(&self, d: Duration) {
        self.state().offset += d;
    }

    /// The total time code slept on this clock.
    pub fn slept(&self) -> Duration {
        self.state().slept
    }

    /// Each sleep, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.state().offset
    }

    fn unix_ms(&self) -> u64 {
        self.start_unix_ms + self.state().offset.as_millis() as u64
    }

    fn sleep(&self, d: Duration) {
        let mut s = self.state();
        s.offset += d;
        s.slept += d;
        s.sleeps.push(d);
        drop(s);
        // Let other threads run, as a real sleep would.
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_sleep_advances_without_waiting() {
        let c = ManualClock::new();
        let t0 = c.now();
        let u0 = c.unix_ms();
        let real = Instant::now();
        c.sleep(Duration::from_secs(3600));
        assert!(real.elapsed() < Duration::from_secs(1));
        assert_eq!(c.now() - t0, Duration::from_secs(3600));
        assert_eq!(c.unix_ms() - u0, 3_600_000);
        assert_eq!(c.slept(), Duration::from_secs(3600));
        c.advance(Duration::from_secs(1));
        assert_eq!(c.slept(), Duration::from_secs(3600));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(3600)]);
    }

    #[test]
    fn sleep_until_or_stops_at_the_deadline() {
        let c = ManualClock::new();
        let end = c.now() + Duration::from_secs(2);
        assert_eq!(
            c.sleep_until_or(Duration::from_secs(5), Some(end)),
            Duration::from_secs(2)
        );
        assert_eq!(
            c.sleep_until_or(Duration::from_secs(5), Some(end)),
            Duration::ZERO
        );
    }
}
