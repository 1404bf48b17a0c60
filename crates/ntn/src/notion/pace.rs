//! Pacing bulk work under Notion's rate limit: the [`Pacer`] learns the limit
//! from the first `429` and spaces the requests that follow, instead of
//! hitting a wall of `429`s.
//!
//! Notion allows bursts above its average rate and answers `429` with
//! `Retry-After` once a token has used its share. The pacer sends at full
//! speed until then. On a `429`, the requests that succeeded in the
//! `Retry-After` window before it say how many the server accepts per window:
//! from then on requests start at least `window / n` apart (5% slower, so
//! that timing noise does not cross the limit). A further `429` means the
//! estimate was too high: the interval grows by half at least. The retry
//! itself is the HTTP layer's business ([`crate::http::RetryPolicy`] waits
//! for `Retry-After`); the pacer only hears about it through the
//! [`Gate`] hooks.
//!
//! Every wait goes through the injected [`Clock`], so tests run on a manual
//! clock (and can share it with the sandbox's rate limiter).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::http::retry::Gate;
use crate::support::Clock;

/// How much slower than the learned rate the pacer sends.
const MARGIN: f64 = 1.05;
/// The window assumed when a `429` has no `Retry-After`.
const DEFAULT_WINDOW: Duration = Duration::from_secs(1);
/// The longest window (and interval) the pacer believes in.
const MAX_WINDOW: Duration = Duration::from_secs(60);

/// Spaces requests under a rate limit it learns; see the module docs.
#[derive(Debug)]
pub struct Pacer {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The shortest time between two request starts, once learned.
    interval: Option<Duration>,
    /// When the latest attempt started.
    last_start: Option<Instant>,
    /// Starts of the attempts that succeeded, over the last [`MAX_WINDOW`].
    recent: VecDeque<Instant>,
    /// How many `429`s the pacer heard of.
    throttled: u32,
    /// When the interval was last learned or grown.
    adjusted: Option<Instant>,
}

impl Pacer {
    /// A pacer that waits on `clock`; it sends at full speed until a `429`.
    pub fn new(clock: Arc<dyn Clock>) -> Pacer {
        Pacer {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The learned interval between request starts (`None`: not throttled yet).
    pub fn interval(&self) -> Option<Duration> {
        self.state().interval
    }

    /// How many `429`s were answered so far.
    pub fn throttled(&self) -> u32 {
        self.state().throttled
    }
}

thread_local! {
    /// When this thread's attempt in flight started (the gate's hooks of one attempt
    /// run on one thread; several threads may share a pacer).
    static STARTED: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

impl Gate for Pacer {
    fn before(&self) {
        // The slot is taken under the lock, so threads sharing the pacer never start
        // together.
        let (now, slot) = {
            let mut s = self.state();
            let now = self.clock.now();
            let slot = match (s.interval, s.last_start) {
                (Some(interval), Some(last)) => (last + interval).max(now),
                _ => now,
            };
            s.last_start = Some(slot);
            (now, slot)
        };
        let wait = slot.saturating_duration_since(now);
        if !wait.is_zero() {
            self.clock.sleep(wait);
        }
        STARTED.with(|c| c.set(Some(slot)));
    }

    fn after(&self, status: Option<u16>, retry_after: Option<Duration>) {
        let now = self.clock.now();
        let started = STARTED.with(|c| c.take()).unwrap_or(now);
        let mut s = self.state();
        match status {
            Some(429) => {
                s.throttled += 1;
                // Sent before the rate was last learned: it says nothing new.
                if s.adjusted.is_some_and(|a| started <= a) {
                    return;
                }
                s.adjusted = Some(now);
                let window = retry_after
                    .filter(|d| !d.is_zero())
                    .unwrap_or(DEFAULT_WINDOW)
                    .min(MAX_WINDOW);
                let accepted = s
                    .recent
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < window)
                    .count()
                    .max(1);
                let learned = window.mul_f64(MARGIN) / accepted as u32;
                let interval = match s.interval {
                    Some(old) => learned.max(old.mul_f64(1.5)),
                    None => learned,
                };
                s.interval = Some(interval.min(MAX_WINDOW));
            }
            Some(200..=299) => {
                s.recent.push_back(started);
                while s
                    .recent
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) > MAX_WINDOW)
                {
                    s.recent.pop_front();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::ManualClock;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Sends `n` attempts answered by `answer(i)`; returns the sleeps.
    fn send(p: &Pacer, clock: &ManualClock, answers: &[u16]) -> Vec<Duration> {
        let before = clock.sleeps().len();
        for a in answers {
            p.before();
            p.after(Some(*a), (*a == 429).then_some(Duration::from_secs(1)));
        }
        clock.sleeps()[before..].to_vec()
    }

    #[test]
    fn full_speed_until_the_first_429_then_the_learned_rate() {
        let clock = Arc::new(ManualClock::new());
        let p = Pacer::new(clock.clone());
        // A burst of 10 accepted requests, then a 429.
        assert!(send(&p, &clock, &[200; 10]).is_empty());
        assert_eq!(p.interval(), None);
        send(&p, &clock, &[429]);
        assert_eq!(p.throttled(), 1);
        assert_eq!(p.interval(), Some(ms(105)));
        // The retry waited Retry-After itself (the HTTP layer's sleep):
        // nothing more to wait, then each request 105 ms after the last.
        clock.sleep(Duration::from_secs(1));
        let sleeps = send(&p, &clock, &[200; 4]);
        assert_eq!(sleeps, [ms(105); 3]);
    }

    #[test]
    fn time_spent_in_the_request_counts_toward_the_interval() {
        let clock = Arc::new(ManualClock::new());
        let p = Pacer::new(clock.clone());
        send(&p, &clock, &[200, 200, 429]);
        let interval = p.interval().unwrap();
        assert_eq!(interval, ms(525));
        p.before();
        clock.advance(ms(500)); // the request itself took 500 ms
        p.after(Some(200), None);
        let sleeps = send(&p, &clock, &[200]);
        assert_eq!(sleeps, [ms(25)]);
    }

    #[test]
    fn a_second_429_slows_down_by_half_at_least() {
        let clock = Arc::new(ManualClock::new());
        let p = Pacer::new(clock.clone());
        send(&p, &clock, &[200, 200, 200, 200, 429]);
        assert_eq!(p.interval(), Some(Duration::from_secs(1).mul_f64(1.05) / 4));
        clock.sleep(Duration::from_secs(5));
        send(&p, &clock, &[200, 429]);
        assert_eq!(p.throttled(), 2);
        // One success in the last second would say "one a second": more
        // than half again, so that wins.
        assert_eq!(p.interval(), Some(ms(1050)));
    }

    #[test]
    fn a_429_of_a_request_sent_before_the_rate_was_learned_does_not_slow_down_more() {
        let clock = Arc::new(ManualClock::new());
        let p = Arc::new(Pacer::new(clock.clone()));
        send(&p, &clock, &[200; 10]);
        // Another thread's request already in flight...
        let (sent_tx, sent_rx) = std::sync::mpsc::channel();
        let (answer_tx, answer_rx) = std::sync::mpsc::channel::<()>();
        let other = {
            let p = p.clone();
            std::thread::spawn(move || {
                p.before();
                sent_tx.send(()).unwrap();
                answer_rx.recv().unwrap();
                p.after(Some(429), Some(Duration::from_secs(1)));
            })
        };
        sent_rx.recv().unwrap();
        send(&p, &clock, &[429]);
        assert_eq!(p.interval(), Some(ms(105)));
        clock.advance(ms(10));
        // ...answered 429 after the rate was learned: no slower.
        answer_tx.send(()).unwrap();
        other.join().unwrap();
        assert_eq!(p.throttled(), 2);
        assert_eq!(p.interval(), Some(ms(105)));
    }

    #[test]
    fn threads_sharing_a_pacer_take_turns() {
        let clock = Arc::new(ManualClock::new());
        let p = Arc::new(Pacer::new(clock.clone()));
        send(&p, &clock, &[200, 200, 200, 200, 429]);
        let slots: Vec<Instant> = (0..3)
            .map(|_| {
                p.before();
                p.state().last_start.unwrap()
            })
            .collect();
        assert!(slots.windows(2).all(|w| w[1] > w[0]), "{slots:?}");
    }

    #[test]
    fn without_retry_after_the_window_is_a_second_and_failures_teach_nothing() {
        let clock = Arc::new(ManualClock::new());
        let p = Pacer::new(clock.clone());
        p.before();
        p.after(None, None);
        p.before();
        p.after(Some(500), None);
        assert_eq!(p.interval(), None);
        p.before();
        p.after(Some(429), None);
        // Nothing succeeded: assume one per window.
        assert_eq!(p.interval(), Some(ms(1050)));
    }
}
