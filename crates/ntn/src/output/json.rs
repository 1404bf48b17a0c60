//! Printing JSON response bodies: a small pretty-printer and colouriser that
//! works on the raw bytes of a JSON document, so key order and number
//! precision stay exactly as the server sent them.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

const KEY: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)));
const STRING: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const NUMBER: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const LITERAL: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const NULL: Style = Style::new().dimmed();

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

fn paint(out: &mut dyn Write, style: Style, color: bool, text: &[u8]) -> io::Result<()> {
    if color {
        write!(out, "{}", style.render())?;
        out.write_all(text)?;
        write!(out, "{}", style.render_reset())
    } else {
        out.write_all(text)
    }
}

fn newline(out: &mut dyn Write, depth: usize) -> io::Result<()> {
    out.write_all(b"\n")?;
    for _ in 0..depth {
        out.write_all(b"  ")?;
    }
    Ok(())
}

/// Pretty-prints a VALID JSON document (check with [`is_json`] first) with
/// two-space indentation, starting at nesting `depth`, without a trailing
/// newline. Tokens are copied byte for byte.
pub fn pretty(input: &[u8], out: &mut dyn Write, color: bool, depth: usize) -> io::Result<()> {
    let mut depth = depth;
    let mut i = 0;
    let n = input.len();
    let next_significant = |mut j: usize| {
        while j < n && input[j].is_ascii_whitespace() {
            j += 1;
        }
        input.get(j).copied()
    };
    while i < n {
        let b = input[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let mut j = i + 1;
                while j < n && input[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < n && input[j] == close {
                    out.write_all(&[b, close])?;
                    i = j + 1;
                } else {
                    out.write_all(&[b])?;
                    depth += 1;
                    newline(out, depth)?;
                    i += 1;
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth)?;
                out.write_all(&[b])?;
                i += 1;
            }
            b',' => {
                out.write_all(b",")?;
                newline(out, depth)?;
                i += 1;
            }
            b':' => {
                out.write_all(b": ")?;
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < n {
                    match input[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let end = i.min(n);
                let style = if next_significant(end) == Some(b':') {
                    KEY
                } else {
                    STRING
                };
                paint(out, style, color, &input[start..end])?;
            }
            _ => {
                let start = i;
                while i < n && !b",:{}[] \t\r\n\"".contains(&input[i]) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                    out.write_all(&input[start..i])?;
                    continue;
                }
                let tok = &input[start..i];
                let style = match tok {
                    b"true" | b"false" => LITERAL,
                    b"null" => NULL,
                    _ => NUMBER,
                };
                paint(out, style, color, tok)?;
            }
        }
    }
    Ok(())
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
    fn json_types() {
        assert!(is_json_type(Some("application/json; charset=utf-8")));
        assert!(is_json_type(Some("application/problem+json")));
        assert!(!is_json_type(Some("text/markdown")));
        assert!(!is_json_type(None));
    }
}
