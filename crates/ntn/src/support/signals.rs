//! Ctrl-C: the one place that installs a signal handler.
//!
//! [`Interrupt::install`] makes the first Ctrl-C raise a flag that long
//! operations (login polling, uploads) check, so they can stop cleanly, save
//! what can be resumed and say so; a second Ctrl-C ends the process at once
//! with 130 (the user insists). The handler is installed only by commands
//! that wait, never at start-up. Tests use [`Interrupt::manual`] and raise it
//! themselves.
//!
//! [`Hold`] suspends that exit while something else owns the terminal: a
//! prompt (Ctrl-C, or a SIGINT sent with `kill`, ends the prompt, which then
//! restores the terminal and says so, instead of the process dying with the
//! cursor hidden) or the user's editor (as git does: the editor gets the
//! Ctrl-C, ntn does not die). While a hold lasts SIGINT only raises the
//! hold's own flag; afterwards the handling is as before (without
//! [`Interrupt::install`], the next SIGINT ends the process with 130).
//!
//! The same code serves Windows: signal-hook's `SIGINT` there is the C
//! runtime's, which the console raises on Ctrl-C (signal-hook re-installs
//! the handler after each press, as the runtime resets it), and its exit is
//! the runtime's `_exit`, so the first Ctrl-C raises the flag and the second
//! ends the process with 130 there too. Ctrl-Break is not Ctrl-C and keeps
//! its default effect (the process ends at once).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use signal_hook::SigId;
use signal_hook::consts::SIGINT;

/// The process's SIGINT handling, set up once (by [`Interrupt::install`] or
/// the first [`Hold`]). Actions run in the order they were registered: the
/// conditional exit first, so it sees `exit_next` as the previous signal
/// left it.
struct Global {
    /// When true, the next SIGINT ends the process with 130.
    exit_next: Arc<AtomicBool>,
    /// The [`Interrupt`] flag: raised by every SIGINT outside a hold.
    raised: Arc<AtomicBool>,
    /// The actions a hold removes (arming the exit, raising the flag).
    outside: Mutex<Vec<SigId>>,
    /// Holds in progress (a prompt inside an editor flow, ...), and the
    /// exit and flag as they were when the first of them began.
    holds: Mutex<(usize, (bool, bool))>,
    /// Whether [`Interrupt::install`] asked for the flag (else SIGINT exits
    /// at once, as without a handler).
    installed: AtomicBool,
}

static GLOBAL: OnceLock<Option<Global>> = OnceLock::new();

/// The handling, installed on first use (None: it could not be installed,
/// and SIGINT keeps its default effect).
fn global(installing: bool) -> Option<&'static Global> {
    let g = GLOBAL
        .get_or_init(|| {
            let exit_next = Arc::new(AtomicBool::new(!installing));
            let raised = Arc::new(AtomicBool::new(false));
            signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&exit_next))
                .ok()?;
            let outside = outside_actions(&exit_next, &raised);
            Some(Global {
                exit_next,
                raised,
                outside: Mutex::new(outside),
                holds: Mutex::new((0, (false, false))),
                installed: AtomicBool::new(installing),
            })
        })
        .as_ref()?;
    if installing && !g.installed.swap(true, Ordering::SeqCst) {
        // Installed after a hold set things up: the first SIGINT raises
        // the flag, the second exits.
        let mut holds = g.holds.lock().unwrap_or_else(|p| p.into_inner());
        if holds.0 == 0 {
            g.exit_next.store(false, Ordering::SeqCst);
        } else {
            // Within a hold: from its end.
            holds.1.0 = false;
        }
    }
    Some(g)
}

/// Outside a hold: a SIGINT raises the flag and arms the exit.
fn outside_actions(exit_next: &Arc<AtomicBool>, raised: &Arc<AtomicBool>) -> Vec<SigId> {
    [raised, exit_next]
        .into_iter()
        .filter_map(|f| signal_hook::flag::register(SIGINT, Arc::clone(f)).ok())
        .collect()
}

/// While it lives, SIGINT does not end the process nor raise the
/// [`Interrupt`] flag: it raises the hold's own flag. See the module docs.
pub struct Hold {
    seen: Arc<AtomicBool>,
    own: Option<SigId>,
}

impl Hold {
    /// Starts holding SIGINT (on the process's real handler).
    pub fn start() -> Hold {
        let seen = Arc::new(AtomicBool::new(false));
        let Some(g) = global(false) else {
            return Hold { seen, own: None };
        };
        let own = signal_hook::flag::register(SIGINT, Arc::clone(&seen)).ok();
        let mut holds = g.holds.lock().unwrap_or_else(|p| p.into_inner());
        if holds.0 == 0 {
            let mut outside = g.outside.lock().unwrap_or_else(|p| p.into_inner());
            for id in outside.drain(..) {
                signal_hook::low_level::unregister(id);
            }
            holds.1 = (
                g.exit_next.swap(false, Ordering::SeqCst),
                g.raised.load(Ordering::SeqCst),
            );
        }
        holds.0 += 1;
        Hold { seen, own }
    }

    /// Whether a SIGINT arrived during the hold.
    pub fn interrupted(&self) -> bool {
        self.seen.load(Ordering::SeqCst)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Some(id) = self.own.take() {
            signal_hook::low_level::unregister(id);
        }
        let Some(Some(g)) = GLOBAL.get() else {
            return;
        };
        let mut holds = g.holds.lock().unwrap_or_else(|p| p.into_inner());
        holds.0 = holds.0.saturating_sub(1);
        if holds.0 > 0 {
            return;
        }
        let (exit_next, raised) = holds.1;
        g.raised.store(raised, Ordering::SeqCst);
        let installed = g.installed.load(Ordering::SeqCst);
        g.exit_next.store(exit_next || !installed, Ordering::SeqCst);
        let mut outside = g.outside.lock().unwrap_or_else(|p| p.into_inner());
        *outside = outside_actions(&g.exit_next, &g.raised);
    }
}

/// A Ctrl-C flag.
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the SIGINT handler (first press raises the flag, the second
    /// exits with 130). Without a handler (it could not be installed), the
    /// flag never rises and Ctrl-C keeps its default effect.
    pub fn install() -> Interrupt {
        match global(true) {
            Some(g) => Interrupt {
                flag: Arc::clone(&g.raised),
            },
            None => Interrupt::manual(),
        }
    }

    /// A flag no signal raises (tests raise it with [`Interrupt::raise`]).
    pub fn manual() -> Interrupt {
        Interrupt {
            flag: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether Ctrl-C was pressed.
    pub fn is_raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Raises the flag (as Ctrl-C does).
    pub fn raise(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// The flag itself, for code that takes an `AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.flag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sigint_during_a_hold_is_the_holds_not_the_processs() {
        let outer = Hold::start();
        let inner = Hold::start();
        assert!(!outer.interrupted());
        // Without the hold, this would end the test process (130).
        signal_hook::low_level::raise(SIGINT).unwrap();
        signal_hook::low_level::raise(SIGINT).unwrap();
        assert!(outer.interrupted() && inner.interrupted());
        drop(inner);
        let again = Hold::start();
        assert!(!again.interrupted());
        signal_hook::low_level::raise(SIGINT).unwrap();
        assert!(again.interrupted());
        drop(again);
        drop(outer);
        // After the holds, the next SIGINT would end the process again.
        let g = global(false).unwrap();
        assert!(g.exit_next.load(Ordering::SeqCst));
        assert!(!g.raised.load(Ordering::SeqCst));
        assert_eq!(g.outside.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_manual_flag_rises_when_raised() {
        let i = Interrupt::manual();
        let j = i.clone();
        assert!(!i.is_raised());
        j.raise();
        assert!(i.is_raised());
    }
}
