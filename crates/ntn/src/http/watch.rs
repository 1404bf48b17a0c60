//! Limits on one attempt, measured on the injected [`Clock`]: the client's
//! deadline (the whole command's time budget), the stall limit (no byte sent
//! or received for that long) and Ctrl-C.
//!
//! A [`Watch`] runs beside each attempt on a thread of its own, from the
//! moment the request is sent until its response body is read or dropped.
//! Readers of the request and response bodies report progress to it. When a
//! limit is reached it shuts the attempt's connection down
//! ([`ureq::Agent::shutdown`]), so a read or write blocked on a socket returns
//! at once, and the attempt's error says which limit it was ([`Limit`]).
//!
//! Because every limit is measured with [`Clock::now`], a test on a manual
//! clock reaches a deadline by moving the clock, without waiting.

use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::support::{Clock, Interrupt};

/// How often the watch looks at the clock (real time).
const TICK: Duration = Duration::from_millis(20);

/// Which limit ended an attempt; attached to its error as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The client's deadline passed (`after`: the whole budget).
    Deadline { after: Duration },
    /// Nothing moved on the connection for `after`.
    Stall { after: Duration },
    /// Ctrl-C.
    Interrupted,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Deadline { after } => write!(
                f,
                "the time limit of {} passed",
                crate::support::time::short(*after)
            ),
            Limit::Stall { after } => write!(
                f,
                "no data moved for {}",
                crate::support::time::short(*after)
            ),
            Limit::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Limit {}

/// The limits a client applies to each attempt.
#[derive(Clone, Debug)]
pub struct Limits {
    pub clock: Arc<dyn Clock>,
    /// When the whole budget ends, and how long it was (for messages).
    pub deadline: Option<(Instant, Duration)>,
    /// Longest time without a byte moving.
    pub stall: Option<Duration>,
    /// Ctrl-C ends the attempt.
    pub interrupt: Option<Interrupt>,
}

impl Limits {
    /// Which limit is reached now, given the last progress at `last`.
    fn reached(&self, last: Instant) -> Option<Limit> {
        if self.interrupt.as_ref().is_some_and(Interrupt::is_raised) {
            return Some(Limit::Interrupted);
        }
        let now = self.clock.now();
        if let Some((end, after)) = self.deadline
            && now >= end
        {
            return Some(Limit::Deadline { after });
        }
        match self.stall {
            Some(after) if now.saturating_duration_since(last) >= after => {
                Some(Limit::Stall { after })
            }
            _ => None,
        }
    }

    /// Time left before the deadline (None: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|(end, _)| end.saturating_duration_since(self.clock.now()))
    }

    /// Whether a limit is reached before anything is sent.
    pub fn check(&self) -> Option<Limit> {
        self.reached(self.clock.now())
    }

    fn active(&self) -> bool {
        self.deadline.is_some() || self.stall.is_some() || self.interrupt.is_some()
    }
}

struct State {
    done: bool,
    fired: Option<Limit>,
    last: Instant,
}

struct Shared {
    limits: Limits,
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The watch over one attempt; see the module docs. Dropping it stops it.
pub struct Watch {
    shared: Option<Arc<Shared>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("fired", &self.fired())
            .finish()
    }
}

impl Watch {
    /// Starts watching an attempt on `agent` (no thread when there is no
    /// limit to watch).
    pub fn start(limits: &Limits, agent: &ureq::Agent) -> Watch {
        if !limits.active() {
            return Watch { shared: None };
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                done: false,
                fired: None,
                last: limits.clock.now(),
            }),
            limits: limits.clone(),
            wake: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let agent = agent.clone();
        let spawned = std::thread::Builder::new()
            .name("ntn-watch".into())
            .spawn(move || watch(&theirs, agent));
        Watch {
            shared: spawned.is_ok().then_some(shared),
        }
    }

    /// Something moved on the connection.
    pub fn progress(&self) {
        self.pulse().beat();
    }

    /// A handle that reports progress (for a body reader handed away).
    pub fn pulse(&self) -> Pulse {
        Pulse {
            shared: self.shared.clone(),
        }
    }

    /// The limit that ended the attempt, if one did.
    pub fn fired(&self) -> Option<Limit> {
        self.shared.as_ref().and_then(|s| s.lock().fired)
    }

    /// Stops watching (the attempt is over).
    pub fn finish(&self) {
        if let Some(s) = &self.shared {
            s.lock().done = true;
            s.wake.notify_all();
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Reports progress to a [`Watch`] (cloned freely; never stops it).
#[derive(Clone)]
pub struct Pulse {
    shared: Option<Arc<Shared>>,
}

impl Pulse {
    /// Something moved on the connection.
    pub fn beat(&self) {
        if let Some(s) = &self.shared {
            let now = s.limits.clock.now();
            s.lock().last = now;
        }
    }
}

fn watch(shared: &Shared, agent: ureq::Agent) {
    let mut state = shared.lock();
    loop {
        if state.done {
            return;
        }
        if let Some(limit) = shared.limits.reached(state.last) {
            state.fired = Some(limit);
            drop(state);
            agent.shutdown();
            return;
        }
        state = shared
            .wake
            .wait_timeout(state, TICK)
            .map(|(s, _)| s)
            .unwrap_or_else(|p| p.into_inner().0);
    }
}

/// A request body that reports progress to a [`Watch`] and stops at Ctrl-C
/// (so a body being sent ends promptly).
pub struct Watched<R> {
    pub inner: R,
    pub pulse: Pulse,
    pub interrupt: Option<Interrupt>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.interrupt.as_ref().is_some_and(Interrupt::is_raised) {
            return Err(io::Error::other(Limit::Interrupted));
        }
        let n = self.inner.read(buf)?;
        self.pulse.beat();
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::ManualClock;

    fn limits(clock: &Arc<ManualClock>, deadline: u64, stall: u64) -> Limits {
        Limits {
            clock: clock.clone(),
            deadline: Some((
                clock.now() + Duration::from_secs(deadline),
                Duration::from_secs(deadline),
            )),
            stall: Some(Duration::from_secs(stall)),
            interrupt: None,
        }
    }

    #[test]
    fn limits_are_reached_on_the_clock() {
        let clock = Arc::new(ManualClock::new());
        let l = limits(&clock, 10, 3);
        let start = clock.now();
        assert_eq!(l.reached(start), None);
        clock.advance(Duration::from_secs(3));
        assert_eq!(
            l.reached(start),
            Some(Limit::Stall {
                after: Duration::from_secs(3)
            })
        );
        assert_eq!(l.reached(clock.now()), None, "progress resets the stall");
        clock.advance(Duration::from_secs(7));
        assert_eq!(
            l.reached(clock.now()),
            Some(Limit::Deadline {
                after: Duration::from_secs(10)
            })
        );
        assert_eq!(l.remaining(), Some(Duration::ZERO));
        let i = Interrupt::manual();
        let l = Limits {
            interrupt: Some(i.clone()),
            ..limits(&clock, 10, 3)
        };
        i.raise();
        assert_eq!(l.check(), Some(Limit::Interrupted));
    }

    #[test]
    fn a_watch_fires_when_the_clock_passes_the_deadline() {
        let clock = Arc::new(ManualClock::new());
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let w = Watch::start(&limits(&clock, 5, 60), &agent);
        assert_eq!(w.fired(), None);
        clock.advance(Duration::from_secs(6));
        let end = Instant::now() + Duration::from_secs(10);
        while w.fired().is_none() && Instant::now() < end {
            std::thread::yield_now();
        }
        assert_eq!(
            w.fired(),
            Some(Limit::Deadline {
                after: Duration::from_secs(5)
            })
        );
    }
}
