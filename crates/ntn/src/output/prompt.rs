//! Questions to a person: a [`Prompter`] chooses from a list or confirms.
//!
//! [`TerminalPrompter`] asks on the terminal (stderr) with dialoguer;
//! [`Scripted`] gives the answers a test decided beforehand. Callers ask
//! only when the `Ui` is interactive: never without a terminal.
//!
//! An interrupt, whatever delivers it (the Ctrl-C key, or SIGINT sent with
//! `kill`), ends the question with an [`Error::interrupted`] (exit 130):
//! the terminal is restored first (cursor shown, raw mode off), and the
//! process is not killed mid-prompt ([`crate::support::Hold`]).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// One scripted answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Choose the item at this index.
    Select(usize),
    /// Answer yes or no.
    Confirm(bool),
    /// Esc or `q`: no answer.
    Cancel,
    /// Ctrl-C (or SIGINT): the question is interrupted.
    Interrupt,
}

/// Asks questions.
pub trait Prompter: Send + Sync {
    /// Chooses one of `items` (starting at `default`); `None` when the person
    /// cancelled (Esc, `q`); an [`Error::interrupted`] on Ctrl-C or SIGINT.
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<Option<usize>>;
    /// Yes or no; `None` when cancelled; an [`Error::interrupted`] on Ctrl-C
    /// or SIGINT.
    fn confirm(&self, prompt: &str, default: bool) -> Result<Option<bool>>;
}

/// dialoguer on the terminal (stderr).
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<Option<usize>> {
        let term = console::Term::stderr();
        let hold = crate::support::Hold::start();
        let chosen = dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact_on_opt(&term);
        restore(&term);
        cancelled_or(chosen, &hold)
    }

    fn confirm(&self, prompt: &str, default: bool) -> Result<Option<bool>> {
        let term = console::Term::stderr();
        let hold = crate::support::Hold::start();
        let answer = dialoguer::Confirm::new()
            .with_prompt(prompt)
            .default(default)
            .interact_on_opt(&term);
        restore(&term);
        cancelled_or(answer, &hold)
    }
}

/// The terminal as it was before the prompt: the cursor shown (console
/// leaves raw mode itself after each key, also on an interrupt).
fn restore(term: &console::Term) {
    let _ = term.show_cursor();
    let _ = term.flush();
}

fn cancelled_or<T>(
    r: std::result::Result<Option<T>, dialoguer::Error>,
    hold: &crate::support::Hold,
) -> Result<Option<T>> {
    match r {
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            Err(interrupted())
        }
        _ if hold.interrupted() => Err(interrupted()),
        Ok(v) => Ok(v),
        Err(e) => Err(Error::local("the prompt failed").cause(&e)),
    }
}

fn interrupted() -> Error {
    Error::interrupted("interrupted")
}

/// Answers decided by a test; a question with no answer left is an error.
pub struct Scripted {
    answers: Mutex<VecDeque<Answer>>,
}

impl Scripted {
    pub fn new(answers: impl IntoIterator<Item = Answer>) -> Scripted {
        Scripted {
            answers: Mutex::new(answers.into_iter().collect()),
        }
    }

    fn next(&self, prompt: &str) -> Result<Answer> {
        self.answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .ok_or_else(|| Error::local(format!("no scripted answer for the prompt {prompt:?}")))
    }
}

impl Prompter for Scripted {
    fn select(&self, prompt: &str, items: &[String], _default: usize) -> Result<Option<usize>> {
        match self.next(prompt)? {
            Answer::Select(i) if i < items.len() => Ok(Some(i)),
            Answer::Cancel => Ok(None),
            Answer::Interrupt => Err(interrupted()),
            other => Err(Error::local(format!(
                "the scripted answer {other:?} does not fit the prompt {prompt:?}"
            ))),
        }
    }

    fn confirm(&self, prompt: &str, _default: bool) -> Result<Option<bool>> {
        match self.next(prompt)? {
            Answer::Confirm(b) => Ok(Some(b)),
            Answer::Cancel => Ok(None),
            Answer::Interrupt => Err(interrupted()),
            other => Err(Error::local(format!(
                "the scripted answer {other:?} does not fit the prompt {prompt:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_answers_in_order_then_an_error() {
        let p = Scripted::new([
            Answer::Select(1),
            Answer::Cancel,
            Answer::Confirm(true),
            Answer::Interrupt,
        ]);
        let items = vec!["a".to_string(), "b".to_string()];
        assert_eq!(p.select("q", &items, 0).unwrap(), Some(1));
        assert_eq!(p.select("q", &items, 0).unwrap(), None);
        assert_eq!(p.confirm("ok?", false).unwrap(), Some(true));
        let e = p.confirm("ok?", false).unwrap_err();
        assert_eq!(e.exit_code().code(), 130);
        assert_eq!(e.message(), "interrupted");
        assert!(p.confirm("ok?", false).is_err());
    }
}
