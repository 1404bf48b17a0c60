//! Text that came from elsewhere (a server, a file, a variable) made safe for
//! a terminal: control characters cannot move the cursor, clear the screen,
//! set the window title or break a table.

use std::borrow::Cow;

/// Drops control characters (C0, DEL and C1, including ESC), keeping the
/// rest. Use it on any server- or file-provided text before it is printed.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(s.chars().filter(|c| !c.is_control()).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Like [`clean`], but keeps line breaks and tabs (multi-line text: help
/// pages, response bodies shown with `-v`).
pub fn clean_text(s: &str) -> Cow<'_, str> {
    let keep = |c: char| c == '\n' || c == '\t' || !c.is_control();
    if s.chars().all(keep) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|c| keep(*c)).collect())
    }
}

/// Like [`clean`], but tabs and line breaks become spaces (one-line cells).
pub fn one_line(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .filter_map(|c| match c {
                    '\t' | '\n' | '\r' => Some(' '),
                    c if c.is_control() => None,
                    c => Some(c),
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_dropped() {
        assert_eq!(clean("Acme\x1b[31m\n"), "Acme[31m");
        assert_eq!(clean("\x1b]0;title\x07x\u{9b}2J"), "]0;titlex2J");
        assert!(matches!(clean("plain é"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\tb\nc\x1b"), "a b c");
        assert_eq!(clean_text("a\tb\nc\x1b[1m\r"), "a\tb\nc[1m");
    }
}
