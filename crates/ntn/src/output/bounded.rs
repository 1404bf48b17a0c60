//! Writers that bound what JSON output may do to a terminal and how long
//! printing may take.
//!
//! * [`JsonEscape`]: JSON text for a terminal. The characters a terminal
//!   obeys or that reorder what is shown, and that JSON allows raw inside
//!   strings (DEL, the C1 controls U+0080–U+009F such as U+009B CSI, the
//!   bidirectional marks, embeddings, overrides and isolates: see
//!   [`super::text::is_unsafe`]), are written as `\u009b` escapes. In valid
//!   JSON they can only occur inside strings, so the output is the same JSON
//!   document. Pipes and files get the bytes untouched (the caller decides).
//! * [`Timed`]: writes fail once the command's deadline passed, with a
//!   [`TimeUp`] that [`super::stdout_error`] turns into a timeout (exit 5):
//!   `--timeout` bounds printing a response as well as receiving it.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::Clock;

/// The code point of an escaped character starting at `bytes[0]`, and its
/// length; `Err(())` when `bytes` ends before it can be told.
fn unsafe_at(bytes: &[u8]) -> Result<Option<(u32, usize)>, ()> {
    let at = |i: usize| bytes.get(i).copied().ok_or(());
    Ok(match bytes[0] {
        0x7f => Some((0x7f, 1)),
        // U+0080..U+009F
        0xc2 => match at(1)? {
            b @ 0x80..=0x9f => Some((u32::from(b), 2)),
            _ => None,
        },
        // U+061C
        0xd8 => (at(1)? == 0x9c).then_some((0x061c, 2)),
        // U+200E, U+200F, U+202A..U+202E (E2 80 xx); U+2066..U+2069 (E2 81 xx)
        0xe2 => match (at(1)?, at(2)?) {
            (0x80, b @ (0x8e | 0x8f | 0xaa..=0xae)) => Some((0x2000 + u32::from(b - 0x80), 3)),
            (0x81, b @ 0xa6..=0xa9) => Some((0x2040 + u32::from(b - 0x80), 3)),
            _ => None,
        },
        _ => None,
    })
}

/// See the module docs. [`Write::flush`] (or dropping it) writes a
/// character cut at the end of the input as it is.
pub struct JsonEscape<W: Write> {
    inner: W,
    on: bool,
    /// The start of a character the last write ended in.
    pending: Vec<u8>,
}

impl<W: Write> JsonEscape<W> {
    /// Escapes when `on` (a terminal); passes bytes through otherwise.
    pub fn new(inner: W, on: bool) -> JsonEscape<W> {
        JsonEscape {
            inner,
            on,
            pending: Vec::new(),
        }
    }

    fn write_escaped(&mut self, data: &[u8]) -> io::Result<()> {
        let mut start = 0;
        let mut i = 0;
        while i < data.len() {
            if !matches!(data[i], 0x7f | 0xc2 | 0xd8 | 0xe2) {
                i += 1;
                continue;
            }
            match unsafe_at(&data[i..]) {
                Ok(Some((cp, len))) => {
                    self.inner.write_all(&data[start..i])?;
                    write!(self.inner, "\\u{cp:04x}")?;
                    i += len;
                    start = i;
                }
                Ok(None) => i += 1,
                Err(()) => {
                    // Cut: keep the start for the next write.
                    self.inner.write_all(&data[start..i])?;
                    self.pending.extend_from_slice(&data[i..]);
                    return Ok(());
                }
            }
        }
        self.inner.write_all(&data[start..])
    }
}

impl<W: Write> Write for JsonEscape<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.on {
            return self.inner.write(buf);
        }
        if self.pending.is_empty() {
            self.write_escaped(buf)?;
        } else {
            // A character was cut at the end of the last write (rare: the
            // copy is cheap next to the write).
            let mut data = std::mem::take(&mut self.pending);
            data.extend_from_slice(buf);
            self.write_escaped(&data)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let cut = std::mem::take(&mut self.pending);
            self.inner.write_all(&cut)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for JsonEscape<W> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let cut = std::mem::take(&mut self.pending);
            let _ = self.inner.write_all(&cut);
        }
    }
}

/// The deadline passed while printing (the error a [`Timed`] write fails
/// with; `after` is the whole budget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeUp {
    pub after: Duration,
}

impl std::fmt::Display for TimeUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the time limit of {} passed",
            crate::support::time::short(self.after)
        )
    }
}

impl std::error::Error for TimeUp {}

/// When printing must end: the command's deadline on its clock.
#[derive(Clone, Debug)]
pub struct Deadline {
    pub clock: Arc<dyn Clock>,
    /// When the budget ends.
    pub end: Instant,
    /// How long the whole budget was (for the message).
    pub after: Duration,
}

impl Deadline {
    /// The error once the deadline passed.
    fn check(&self) -> io::Result<()> {
        if self.clock.now() >= self.end {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                TimeUp { after: self.after },
            ));
        }
        Ok(())
    }
}

/// A writer whose writes fail once a [`Deadline`] passed (none: never).
pub struct Timed<W: Write> {
    inner: W,
    deadline: Option<Deadline>,
}

impl<W: Write> Timed<W> {
    pub fn new(inner: W, deadline: Option<Deadline>) -> Timed<W> {
        Timed { inner, deadline }
    }
}

impl<W: Write> Write for Timed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(d) = &self.deadline {
            d.check()?;
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::ManualClock;

    fn escaped(s: &str, piece: usize) -> String {
        let mut out = Vec::new();
        {
            let mut w = JsonEscape::new(&mut out, true);
            for p in s.as_bytes().chunks(piece) {
                w.write_all(p).unwrap();
            }
            w.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn c1_controls_and_bidi_characters_become_json_escapes() {
        let doc = "{\"name\":\"a\u{9b}31mb\u{202e}c\u{2066}d\u{7f}e\u{85}f\u{200f}\u{61c}\",\n \"ok\":\"é日本\u{a0}\u{2028}\"}";
        let want = "{\"name\":\"a\\u009b31mb\\u202ec\\u2066d\\u007fe\\u0085f\\u200f\\u061c\",\n \"ok\":\"é日本\u{a0}\u{2028}\"}";
        for piece in [1, 2, 3, 4, 5, 1000] {
            let out = escaped(doc, piece);
            assert_eq!(out, want, "pieces of {piece}");
            let a: serde_json::Value = serde_json::from_str(doc).unwrap();
            let b: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(a, b, "the same document");
        }
        // Every escaped character, in pieces of every size.
        for c in ('\u{80}'..='\u{9f}').chain(['\u{202a}', '\u{202e}', '\u{2069}', '\u{200e}']) {
            for piece in 1..4 {
                let out = escaped(&format!("\"x{c}y\""), piece);
                assert_eq!(out, format!("\"x\\u{:04x}y\"", c as u32), "{piece}");
            }
        }
    }

    #[test]
    fn off_or_invalid_bytes_pass_untouched() {
        let mut out = Vec::new();
        JsonEscape::new(&mut out, false)
            .write_all("\u{9b}\u{202e}".as_bytes())
            .unwrap();
        assert_eq!(out, "\u{9b}\u{202e}".as_bytes());
        // A cut character at the end, and bytes that are not UTF-8.
        for bytes in [
            &b"ab\xe2\x80"[..],
            b"\xc2",
            b"\xe2\x28\xa1 \xc2\x41",
            b"\xff\xfe",
        ] {
            for piece in 1..4 {
                let mut out = Vec::new();
                {
                    let mut w = JsonEscape::new(&mut out, true);
                    for p in bytes.chunks(piece) {
                        w.write_all(p).unwrap();
                    }
                }
                assert_eq!(out, bytes, "{bytes:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn writes_fail_once_the_deadline_passed() {
        let clock = Arc::new(ManualClock::new());
        let deadline = Deadline {
            clock: clock.clone(),
            end: clock.now() + Duration::from_secs(5),
            after: Duration::from_secs(5),
        };
        let mut out = Vec::new();
        let mut w = Timed::new(&mut out, Some(deadline));
        w.write_all(b"[1,").unwrap();
        clock.advance(Duration::from_secs(5));
        let e = w.write_all(b"2]").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        let err = super::super::stdout_error(e);
        assert_eq!(err.exit_code().code(), 5);
        assert!(
            err.message().contains("time limit of 5s"),
            "{}",
            err.message()
        );
        assert!(err.hint_text().unwrap().contains("--timeout"));
        assert_eq!(out, b"[1,");
        let mut out = Vec::new();
        Timed::new(&mut out, None).write_all(b"x").unwrap();
        assert_eq!(out, b"x");
    }
}
