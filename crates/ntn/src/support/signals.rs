//! Ctrl-C: the one place that installs a signal handler.
//!
//! [`Interrupt::install`] makes the first Ctrl-C raise a flag that long
//! operations (login polling, uploads) check, so they can stop cleanly, save
//! what can be resumed and say so; a second Ctrl-C ends the process at once
//! with 130 (the user insists). The handler is installed only by commands
//! that wait, never at start-up. Tests use [`Interrupt::manual`] and raise it
//! themselves.
//!
//! The same code serves Windows: signal-hook's `SIGINT` there is the C
//! runtime's, which the console raises on Ctrl-C (signal-hook re-installs
//! the handler after each press, as the runtime resets it), and its exit is
//! the runtime's `_exit`, so the first Ctrl-C raises the flag and the second
//! ends the process with 130 there too. Ctrl-Break is not Ctrl-C and keeps
//! its default effect (the process ends at once).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
        use signal_hook::consts::SIGINT;
        let it = Interrupt::manual();
        let flag = Arc::clone(&it.flag);
        // Order matters: the conditional exit checks the flag before the
        // second registration sets it.
        if signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&flag)).is_ok()
        {
            let _ = signal_hook::flag::register(SIGINT, flag);
        }
        it
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
    fn a_manual_flag_rises_when_raised() {
        let i = Interrupt::manual();
        let j = i.clone();
        assert!(!i.is_raised());
        j.raise();
        assert!(i.is_raised());
    }
}
