//! Printing JSON response bodies: a small pretty-printer and colouriser that
//! works on the raw bytes of a JSON document, so key order and number
//! precision stay exactly as the server sent them. It streams ([`Pretty`]):
//! a document of any size is printed in flat memory. Containers nested
//! deeper than [`MAX_PRETTY_DEPTH`] are printed compact (on one line, no
//! indentation), so the output of a deeply nested document stays about as
//! large as the document instead of growing with the square of its depth.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

const KEY: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)));
const STRING: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const NUMBER: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const LITERAL: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const NULL: Style = Style::new().dimmed();

/// The deepest level whose members are put on lines of their own (at most
/// 200 spaces of indentation); deeper containers are written compact.
pub const MAX_PRETTY_DEPTH: usize = 100;

/// Whether `bytes` is one valid JSON document.
pub fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// Whether a content type is JSON (`application/json`, `...+json`).
pub fn is_json_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base == "application/json" || base.ends_with("+json")
}

/// Pretty-prints a VALID JSON document (check with [`is_json`] first) with
/// two-space indentation, starting at nesting `depth`, without a trailing
/// newline. Tokens are copied byte for byte.
pub fn pretty(input: &[u8], out: &mut dyn Write, color: bool, depth: usize) -> io::Result<()> {
    let mut p = Pretty::new(out, color, depth);
    p.feed(input)?;
    p.finish()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between tokens.
    Between,
    /// After `{` or `[` (not written yet: `{}` and `[]` stay on one line).
    Open(u8),
    /// Inside a string; `escaped`: the last byte was a backslash.
    Str { escaped: bool },
    /// Inside a number or literal.
    Token,
}

/// A streaming pretty-printer: [`Pretty::feed`] it the document in pieces of
/// any size (memory stays flat whatever the document's size), then
/// [`Pretty::finish`]. Keys are told from string values by their place in
/// an object, so nothing is looked ahead beyond one opening bracket.
pub struct Pretty<'w> {
    out: &'w mut dyn Write,
    color: bool,
    depth: usize,
    /// For each open container: whether it is an object.
    objects: Vec<bool>,
    /// In an object, before the `:` of a member.
    expect_key: bool,
    state: State,
}

impl<'w> Pretty<'w> {
    pub fn new(out: &'w mut dyn Write, color: bool, depth: usize) -> Pretty<'w> {
        Pretty {
            out,
            color,
            depth,
            objects: Vec::new(),
            expect_key: false,
            state: State::Between,
        }
    }

    fn newline(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n")?;
        for _ in 0..self.depth {
            self.out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn start(&mut self, style: Style) -> io::Result<()> {
        if self.color {
            write!(self.out, "{}", style.render())?;
        }
        Ok(())
    }

    fn end(&mut self, style: Style) -> io::Result<()> {
        if self.color {
            write!(self.out, "{}", style.render_reset())?;
        }
        Ok(())
    }

    /// Writes the next piece of the document.
    pub fn feed(&mut self, input: &[u8]) -> io::Result<()> {
        let mut i = 0;
        let n = input.len();
        while i < n {
            let b = input[i];
            match self.state {
                State::Str { escaped } => {
                    let mut j = i;
                    let mut esc = escaped;
                    let mut closed = false;
                    while j < n {
                        let c = input[j];
                        j += 1;
                        if esc {
                            esc = false;
                        } else if c == b'\\' {
                            esc = true;
                        } else if c == b'"' {
                            closed = true;
                            break;
                        }
                    }
                    self.out.write_all(&input[i..j])?;
                    i = j;
                    if closed {
                        let style = if self.expect_key { KEY } else { STRING };
                        self.end(style)?;
                        self.state = State::Between;
                    } else {
                        self.state = State::Str { escaped: esc };
                    }
                }
                State::Token => {
                    let mut j = i;
                    while j < n && !b",:{}[] \t\r\n\"".contains(&input[j]) {
                        j += 1;
                    }
                    self.out.write_all(&input[i..j])?;
                    i = j;
                    if j < n {
                        self.end(NUMBER)?;
                        self.state = State::Between;
                    }
                }
                State::Open(open) => {
                    if b.is_ascii_whitespace() {
                        i += 1;
                        continue;
                    }
                    let close = if open == b'{' { b'}' } else { b']' };
                    self.state = State::Between;
                    if b == close {
                        self.out.write_all(&[open, close])?;
                        i += 1;
                    } else {
                        self.out.write_all(&[open])?;
                        self.objects.push(open == b'{');
                        self.expect_key = open == b'{';
                        self.depth += 1;
                        if self.depth <= MAX_PRETTY_DEPTH {
                            self.newline()?;
                        }
                    }
                }
                State::Between => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'{' | b'[' => self.state = State::Open(b),
                        b'}' | b']' => {
                            self.objects.pop();
                            self.expect_key = false;
                            let pretty = self.depth <= MAX_PRETTY_DEPTH;
                            self.depth = self.depth.saturating_sub(1);
                            if pretty {
                                self.newline()?;
                            }
                            self.out.write_all(&[b])?;
                        }
                        b',' => {
                            self.out.write_all(b",")?;
                            self.expect_key = self.objects.last() == Some(&true);
                            if self.depth <= MAX_PRETTY_DEPTH {
                                self.newline()?;
                            }
                        }
                        b':' => {
                            self.out.write_all(b": ")?;
                            self.expect_key = false;
                        }
                        b'"' => {
                            let style = if self.expect_key { KEY } else { STRING };
                            self.start(style)?;
                            self.out.write_all(b"\"")?;
                            self.state = State::Str { escaped: false };
                        }
                        _ => {
                            // A number or literal, styled by its first byte.
                            let style = match b {
                                b't' | b'f' => LITERAL,
                                b'n' => NULL,
                                _ => NUMBER,
                            };
                            self.start(style)?;
                            self.out.write_all(&[b])?;
                            self.state = State::Token;
                            // The reset is written at the token's end; LITERAL
                            // and NULL share NUMBER's reset (all resets are
                            // the same sequence).
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the document (closes an open style, writes a pending bracket).
    pub fn finish(&mut self) -> io::Result<()> {
        match self.state {
            State::Str { .. } => self.end(STRING)?,
            State::Token => self.end(NUMBER)?,
            State::Open(b) => self.out.write_all(&[b])?,
            State::Between => {}
        }
        self.state = State::Between;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: &str, color: bool) -> String {
        let mut out = Vec::new();
        pretty(s.as_bytes(), &mut out, color, 0).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn keeps_order_and_precision() {
        let s = r#"{"z":1.000000000000000000001,"a":[1,2,{}],"e":[],"s":"x,\"y\":{","n":null,"t":true}"#;
        assert_eq!(
            render(s, false),
            "{\n  \"z\": 1.000000000000000000001,\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"e\": [],\n  \"s\": \"x,\\\"y\\\":{\",\n  \"n\": null,\n  \"t\": true\n}"
        );
    }

    #[test]
    fn output_is_the_same_document() {
        let s = r#" { "a" : [ 1 , -2.5e10 , "é\u00e9" ] , "b" : { "c" : false } } "#;
        let out = render(s, false);
        let a: serde_json::Value = serde_json::from_str(s).unwrap();
        let b: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn colours_keys_and_values_differently() {
        let out = render(r#"{"k":"v"}"#, true);
        assert!(out.contains(&format!("{}\"k\"{}", KEY.render(), KEY.render_reset())));
        assert!(out.contains(&format!(
            "{}\"v\"{}",
            STRING.render(),
            STRING.render_reset()
        )));
    }

    #[test]
    fn deep_nesting_is_printed_compact_past_the_limit() {
        // 20 KB of brackets: pretty all the way down would be ~200 MB.
        let n = 10_000;
        let doc = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let out = render(&doc, false);
        assert!(out.len() < 2 * doc.len() + 30_000, "{} bytes", out.len());
        let deep = format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let out = render(&deep, false);
        assert!(out.len() < 2 * deep.len() + 30_000, "{} bytes", out.len());
        assert_eq!(out.matches('\n').count(), 2 * MAX_PRETTY_DEPTH);
        assert!(
            out.lines()
                .all(|l| l.len() <= 2 * MAX_PRETTY_DEPTH + 2 * n + 1)
        );
        // Objects too, and the compact part is the same JSON (checked
        // within serde_json's own nesting limit).
        let obj = format!(
            "{}{{\"k\":[1,{{\"a\":\"b\"}}]}}{}",
            "{\"x\":".repeat(110),
            "}".repeat(110)
        );
        let out = render(&obj, false);
        assert!(out.contains("{\"k\": [1,{\"a\": \"b\"}]}"), "{out}");
        let a: serde_json::Value = serde_json::from_str(&obj).unwrap();
        let b: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(a, b);
        // Shallow documents are unchanged.
        assert_eq!(render("[[1]]", false), "[\n  [\n    1\n  ]\n]");
    }

    #[test]
    fn json_types() {
        assert!(is_json_type(Some("application/json; charset=utf-8")));
        assert!(is_json_type(Some("application/problem+json")));
        assert!(!is_json_type(Some("text/markdown")));
        assert!(!is_json_type(None));
    }

    #[test]
    fn pieces_of_any_size_print_the_same() {
        let s = r#"{"k":"a\"b\\","list":[1,true,null,{"x":[]},"s"],"o":{},"n":-1.5e3}"#;
        for color in [false, true] {
            let whole = render(s, color);
            for size in [1, 2, 3, 7] {
                let mut out = Vec::new();
                let mut p = Pretty::new(&mut out, color, 0);
                for piece in s.as_bytes().chunks(size) {
                    p.feed(piece).unwrap();
                }
                p.finish().unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), whole, "{size}");
            }
        }
    }

    #[test]
    fn keys_are_told_by_their_place() {
        let out = render(r#"{"a":["b",{"c":"d"}],"e":"f"}"#, true);
        let key = |k: &str| format!("{}\"{k}\"", KEY.render());
        let val = |v: &str| format!("{}\"{v}\"", STRING.render());
        for k in ["a", "c", "e"] {
            assert!(out.contains(&key(k)), "{k}: {out:?}");
        }
        for v in ["b", "d", "f"] {
            assert!(out.contains(&val(v)), "{v}: {out:?}");
        }
    }
}
