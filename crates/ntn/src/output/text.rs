//! Text that came from elsewhere (a server, a file, a variable) made safe for
//! a terminal: control characters cannot move the cursor, clear the screen,
//! set the window title, reorder what is shown or break a table, and a
//! password in a URL is never shown.
//!
//! Control characters are escaped, not dropped, so that a name holding them
//! reads as what it is: `Evil\x1b]0;title\x07` rather than a changed window
//! title (or `Evil]0;title`). What is escaped: C0 controls, DEL and C1
//! controls (`\x1b`, `\n`, `\t`, `\r`, `\u{9b}`, ...) and the invisible
//! characters that reorder text (bidirectional overrides, isolates and
//! marks: `\u{202e}`, ...). Everything else passes unchanged; a backslash
//! stays a backslash, so cleaning twice changes nothing more.
//!
//! * [`clean`]: one-line text (names, ids, messages);
//! * [`clean_text`]: multi-line text (help pages, bodies): keeps `\n` and tabs;
//! * [`one_line`]: table cells: tabs and line breaks become spaces;
//! * [`truncate`]: a length cap for names kept or shown;
//! * [`redact_url`], [`redact_urls`]: `scheme://user:password@host` shown as
//!   `scheme://***@host`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'             // Arabic letter mark
            | '\u{200e}' | '\u{200f}' // left-to-right / right-to-left marks
            | '\u{202a}'..='\u{202e}' // embeddings and overrides
            | '\u{2066}'..='\u{2069}' // isolates
        )
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Escapes the characters for which `escape(c)` is true, maps the others
/// through `keep` (which may drop them).
fn escape_with(
    s: &str,
    escape: impl Fn(char) -> bool,
    keep: impl Fn(char) -> Option<char>,
) -> Cow<'_, str> {
    if !s.chars().any(|c| escape(c) || keep(c) != Some(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            escape_into(&mut out, c);
        } else if let Some(k) = keep(c) {
            out.push(k);
        }
    }
    Cow::Owned(out)
}

/// Escapes control and text-reordering characters (see the module docs).
/// Use it on any server- or file-provided text before it is printed.
pub fn clean(s: &str) -> Cow<'_, str> {
    escape_with(s, is_unsafe, Some)
}

/// Like [`clean`], but keeps line breaks and tabs (multi-line text: help
/// pages, response bodies shown with `-v`).
pub fn clean_text(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c != '\n' && c != '\t' && is_unsafe(c), Some)
}

/// Like [`clean`], but tabs and line breaks become spaces (one-line cells).
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape_with(
        s,
        |c| !matches!(c, '\t' | '\n' | '\r') && is_unsafe(c),
        |c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c => Some(c),
        },
    )
}

/// `s` cut to at most `max` characters, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = s.char_indices().nth(keep).map(|(i, _)| i).unwrap_or(0);
            Cow::Owned(format!("{}…", &s[..end]))
        }
    }
}

/// The user information of a URL (`user:password@`) hidden: an absolute URL
/// with one becomes `scheme://***@host...`. Anything else is returned as is.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    redact_urls(url)
}

/// [`redact_url`] applied to every `scheme://` URL inside `text`.
pub fn redact_urls(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut done = 0; // bytes of `text` already handled
    let mut search = 0;
    while let Some(pos) = text[search..].find("://") {
        let start = search + pos + 3;
        let rest = &text[start..];
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(at) = authority.rfind('@') {
            let o = out.get_or_insert_with(String::new);
            o.push_str(&text[done..start]);
            o.push_str("***");
            done = start + at;
        }
        search = start + end;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[done..]);
            Cow::Owned(o)
        }
    }
}

/// What an error or message built from outside text becomes before it is
/// printed: URLs redacted, unsafe characters escaped, line breaks kept.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    match redact_urls(s) {
        Cow::Borrowed(b) => clean_text(b),
        Cow::Owned(o) => Cow::Owned(clean_text(&o).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_obeyed() {
        assert_eq!(clean("Acme\x1b[31m\n"), "Acme\\x1b[31m\\n");
        assert_eq!(
            clean("\x1b]0;title\x07x\u{9b}2J"),
            "\\x1b]0;title\\x07x\\u{9b}2J"
        );
        assert!(matches!(clean("plain é \\x1b"), Cow::Borrowed(_)));
        assert_eq!(clean("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(clean("a\x7fb"), "a\\x7fb");
        // Cleaning is idempotent.
        let once = clean("x\x1b[2J").into_owned();
        assert_eq!(clean(&once), once);
    }

    #[test]
    fn cells_and_multi_line_text() {
        assert_eq!(one_line("a\tb\nc\x1b"), "a b c\\x1b");
        assert_eq!(clean_text("a\tb\nc\x1b[1m\r"), "a\tb\nc\\x1b[1m\\r");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4), "ééé…");
        assert!(matches!(truncate("é", 1), Cow::Borrowed(_)));
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact_url("http://user:pass@host:1/x?a=b@c"),
            "http://***@host:1/x?a=b@c"
        );
        assert_eq!(
            redact_url("https://ghp_x@github.com"),
            "https://***@github.com"
        );
        assert!(matches!(redact_url("https://a.b/c@d"), Cow::Borrowed(_)));
        assert_eq!(
            redact_urls("cannot reach http://u:p@h and https://x:y@z/w."),
            "cannot reach http://***@h and https://***@z/w."
        );
        assert_eq!(
            for_terminal("bad http://u:p@h\x1b[2J\nnext"),
            "bad http://***@h\\x1b[2J\nnext"
        );
    }
}
