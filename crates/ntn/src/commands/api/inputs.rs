//! Inline inputs of `ntn api`: `path:=json`, `name==value`, `Header:Value`,
//! `path=value`.
//!
//! The kind of an input is decided by the FIRST operator in it, scanning left
//! to right; at one position the longest operator wins (`:=` over `:`, `==`
//! over `=`). So `url=http://x` is a body field and `q==a:b` a query
//! parameter. A backslash makes the next character of the name literal
//! (`a\=b=c` sets the field `a=b`; `a\[b]=c` the field `a[b]`). Values are
//! taken as they are.
//!
//! Body paths nest: `a[b]` (object key), `a[0]` (array index), `a[]` (append
//! a new element), e.g. `children[][paragraph][rich_text][0][text][content]=Hello`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The syntax, shown with parse errors.
pub const SYNTAX: &str = "inputs are `field=text` (string body field), `field:=json` (typed body \
field), `name==value` (query parameter) or `Header:Value` (header); fields nest as \
`a[b]`, `a[0]`, `a[]`";

/// One segment of a body path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
    Append,
}

/// One parsed inline input.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// `path:=json`
    Json { path: Vec<Seg>, value: Value },
    /// `path=value`
    Text { path: Vec<Seg>, value: String },
    /// `name==value`
    Query { name: String, value: String },
    /// `Header:Value`
    Header { name: String, value: String },
}

impl Input {
    pub fn is_body(&self) -> bool {
        matches!(self, Input::Json { .. } | Input::Text { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Json,
    Query,
    Text,
    Header,
}

fn parse_error(input: &str, what: &str) -> Error {
    Error::usage(format!("invalid input {input:?}: {what}")).hint(SYNTAX)
}

/// Parses one input. Errors are usage errors (exit 2) that show the input and
/// the syntax.
pub fn parse(input: &str) -> Result<Input> {
    // The name as (char, escaped) pairs, up to the first unescaped operator.
    let mut name: Vec<(char, bool)> = Vec::new();
    let mut chars = input.char_indices().peekable();
    let mut found: Option<(Op, usize)> = None;
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some((_, n)) => name.push((n, true)),
                None => name.push(('\\', false)),
            }
            continue;
        }
        let rest = &input[i..];
        let op = if rest.starts_with(":=") {
            Some((Op::Json, 2))
        } else if rest.starts_with("==") {
            Some((Op::Query, 2))
        } else if rest.starts_with('=') {
            Some((Op::Text, 1))
        } else if rest.starts_with(':') {
            Some((Op::Header, 1))
        } else {
            None
        };
        if let Some((op, len)) = op {
            found = Some((op, i + len));
            break;
        }
        name.push((c, false));
    }
    let Some((op, value_at)) = found else {
        return Err(parse_error(input, "no `=`, `:=`, `==` or `:` in it"));
    };
    let value = &input[value_at..];
    if name.is_empty() {
        return Err(parse_error(input, "the name before the operator is empty"));
    }
    let plain: String = name.iter().map(|(c, _)| *c).collect();
    match op {
        Op::Query => Ok(Input::Query {
            name: plain,
            value: value.to_string(),
        }),
        Op::Header => {
            if !plain.bytes().all(is_tchar) {
                return Err(parse_error(
                    input,
                    &format!("{plain:?} is not a valid header name"),
                ));
            }
            let value = value.trim_start();
            if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
                return Err(parse_error(
                    input,
                    "a header value cannot contain line breaks",
                ));
            }
            Ok(Input::Header {
                name: plain,
                value: value.to_string(),
            })
        }
        Op::Text => Ok(Input::Text {
            path: parse_path(input, &name)?,
            value: value.to_string(),
        }),
        Op::Json => {
            let path = parse_path(input, &name)?;
            let value: Value = serde_json::from_str(value).map_err(|e| {
                Error::usage(format!("invalid JSON in input {input:?}: {e}")).hint(
                    "the value after `:=` must be JSON, e.g. done:=true, n:=3, tags:='[\"a\"]'; \
                     use `=` for a string",
                )
            })?;
            Ok(Input::Json { path, value })
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The most segments a body field name may have (`a[b][c]` has 3).
pub const MAX_PATH_DEPTH: usize = 32;

/// `a[b][0][]` → [Key(a), Key(b), Index(0), Append]. Escaped brackets are literal.
fn parse_path(input: &str, name: &[(char, bool)]) -> Result<Vec<Seg>> {
    let mut segs = Vec::new();
    let mut i = 0;
    let mut head = String::new();
    while i < name.len() && name[i] != ('[', false) {
        head.push(name[i].0);
        i += 1;
    }
    if head.is_empty() {
        return Err(parse_error(
            input,
            "a body field must start with a name (e.g. `parent[page_id]=...`)",
        ));
    }
    segs.push(Seg::Key(head));
    while i < name.len() {
        if name[i] != ('[', false) {
            return Err(parse_error(
                input,
                "expected `[` after `]` in the field name (e.g. `a[b][c]`)",
            ));
        }
        i += 1;
        let mut inner = String::new();
        let mut closed = false;
        let mut escaped_any = false;
        while i < name.len() {
            let (c, esc) = name[i];
            i += 1;
            if !esc && c == ']' {
                closed = true;
                break;
            }
            if !esc && c == '[' {
                return Err(parse_error(input, "unexpected `[` inside brackets"));
            }
            escaped_any |= esc;
            inner.push(c);
        }
        if !closed {
            return Err(parse_error(input, "unclosed `[` in the field name"));
        }
        // Bounded so that building, printing and dropping the body cannot
        // exhaust the stack (found by the hardening fuzz tests).
        if segs.len() >= MAX_PATH_DEPTH {
            return Err(parse_error(
                input,
                &format!("the field name nests too deeply (at most {MAX_PATH_DEPTH} levels)"),
            ));
        }
        segs.push(if inner.is_empty() {
            Seg::Append
        } else if !escaped_any && inner.bytes().all(|b| b.is_ascii_digit()) {
            match inner.parse::<usize>() {
                Ok(n) if n <= 10_000 => Seg::Index(n),
                _ => return Err(parse_error(input, "array index too large")),
            }
        } else {
            Seg::Key(inner)
        });
    }
    Ok(segs)
}

/// Shows a path as the user would write it.
pub fn show_path(path: &[Seg]) -> String {
    let mut s = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            Seg::Key(k) if i == 0 => s.push_str(k),
            Seg::Key(k) => {
                s.push('[');
                s.push_str(k);
                s.push(']');
            }
            Seg::Index(n) => s.push_str(&format!("[{n}]")),
            Seg::Append => s.push_str("[]"),
        }
    }
    s
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn conflict(path: &[Seg], upto: usize, found: &Value) -> Error {
    Error::usage(format!(
        "conflicting inputs: {} is already {} and cannot also be {}",
        show_path(&path[..upto]),
        kind(found),
        if upto < path.len() {
            match path[upto] {
                Seg::Key(_) => "an object",
                _ => "a list",
            }
        } else {
            "set again"
        }
    ))
    .hint("each body field can be set once; nested fields merge into objects and lists")
}

/// Sets `value` at `path` inside `root` (an object), creating objects and
/// lists on the way. Setting a field twice, or using a field both as a value
/// and as a container, is a usage error.
pub fn insert(root: &mut Map<String, Value>, path: &[Seg], value: Value) -> Result<()> {
    let Some(Seg::Key(first)) = path.first() else {
        return Err(Error::usage("a body field must start with a name"));
    };
    if path.len() == 1 {
        return match root.get(first) {
            Some(existing) => Err(conflict(path, 1, existing)),
            None => {
                root.insert(first.clone(), value);
                Ok(())
            }
        };
    }
    let mut cur: &mut Value = root.entry(first.clone()).or_insert(Value::Null);
    for (i, seg) in path.iter().enumerate().skip(1) {
        let last = i + 1 == path.len();
        cur = match seg {
            Seg::Key(k) => {
                if cur.is_null() {
                    *cur = Value::Object(Map::new());
                }
                let Value::Object(map) = cur else {
                    return Err(conflict(path, i, cur));
                };
                if last {
                    if let Some(existing) = map.get(k) {
                        return Err(conflict(path, i + 1, existing));
                    }
                    map.insert(k.clone(), value);
                    return Ok(());
                }
                map.entry(k.clone()).or_insert(Value::Null)
            }
            Seg::Index(n) => {
                if cur.is_null() {
                    *cur = Value::Array(Vec::new());
                }
                let Value::Array(list) = cur else {
                    return Err(conflict(path, i, cur));
                };
                if *n > list.len() {
                    return Err(Error::usage(format!(
                        "{}: index {n} skips over missing items (the list has {})",
                        show_path(path),
                        list.len()
                    ))
                    .hint("fill lists in order: a[0]=x a[1]=y, or append with a[]=x"));
                }
                if *n == list.len() {
                    list.push(Value::Null);
                }
                if last {
                    if !list[*n].is_null() {
                        return Err(conflict(path, i + 1, &list[*n]));
                    }
                    list[*n] = value;
                    return Ok(());
                }
                &mut list[*n]
            }
            Seg::Append => {
                if cur.is_null() {
                    *cur = Value::Array(Vec::new());
                }
                let Value::Array(list) = cur else {
                    return Err(conflict(path, i, cur));
                };
                list.push(Value::Null);
                let at = list.len() - 1;
                if last {
                    list[at] = value;
                    return Ok(());
                }
                &mut list[at]
            }
        };
    }
    Ok(())
}

/// Inputs split by kind.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The body built from body inputs, when there were any.
    pub body: Option<Map<String, Value>>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
}

/// Parses every input and builds the body.
pub fn parse_all(inputs: &[String]) -> Result<Parsed> {
    let mut out = Parsed::default();
    for raw in inputs {
        match parse(raw)? {
            Input::Query { name, value } => out.query.push((name, value)),
            Input::Header { name, value } => out.headers.push((name, value)),
            Input::Json { path, value } => {
                insert(out.body.get_or_insert_with(Map::new), &path, value)?
            }
            Input::Text { path, value } => insert(
                out.body.get_or_insert_with(Map::new),
                &path,
                Value::String(value),
            )?,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn table_of_inputs() {
        let cases: Vec<(&str, Input)> = vec![
            (
                "a=b",
                Input::Text {
                    path: vec![k("a")],
                    value: "b".into(),
                },
            ),
            (
                "a=",
                Input::Text {
                    path: vec![k("a")],
                    value: "".into(),
                },
            ),
            (
                "url=http://x",
                Input::Text {
                    path: vec![k("url")],
                    value: "http://x".into(),
                },
            ),
            (
                "a=b=c",
                Input::Text {
                    path: vec![k("a")],
                    value: "b=c".into(),
                },
            ),
            (
                "q==a:b",
                Input::Query {
                    name: "q".into(),
                    value: "a:b".into(),
                },
            ),
            (
                "q===x",
                Input::Query {
                    name: "q".into(),
                    value: "=x".into(),
                },
            ),
            (
                "n:=3",
                Input::Json {
                    path: vec![k("n")],
                    value: json!(3),
                },
            ),
            (
                "n:=[1,{\"a\":null}]",
                Input::Json {
                    path: vec![k("n")],
                    value: json!([1, {"a": null}]),
                },
            ),
            (
                "X-Test:hello",
                Input::Header {
                    name: "X-Test".into(),
                    value: "hello".into(),
                },
            ),
            (
                "X-Test: a=b",
                Input::Header {
                    name: "X-Test".into(),
                    value: "a=b".into(),
                },
            ),
            (
                "Notion-Version:2022-06-28",
                Input::Header {
                    name: "Notion-Version".into(),
                    value: "2022-06-28".into(),
                },
            ),
            (
                "parent[page_id]=abc",
                Input::Text {
                    path: vec![k("parent"), k("page_id")],
                    value: "abc".into(),
                },
            ),
            (
                "children[][paragraph][rich_text][0][text][content]=Hello",
                Input::Text {
                    path: vec![
                        k("children"),
                        Seg::Append,
                        k("paragraph"),
                        k("rich_text"),
                        Seg::Index(0),
                        k("text"),
                        k("content"),
                    ],
                    value: "Hello".into(),
                },
            ),
            (
                r"a\=b=c",
                Input::Text {
                    path: vec![k("a=b")],
                    value: "c".into(),
                },
            ),
            (
                r"a\:b:=1",
                Input::Json {
                    path: vec![k("a:b")],
                    value: json!(1),
                },
            ),
            (
                r"a\[b]=c",
                Input::Text {
                    path: vec![k("a[b]")],
                    value: "c".into(),
                },
            ),
            (
                r"a\[b\]=c",
                Input::Text {
                    path: vec![k("a[b]")],
                    value: "c".into(),
                },
            ),
            (
                r"a[\0]=c",
                Input::Text {
                    path: vec![k("a"), k("0")],
                    value: "c".into(),
                },
            ),
            (
                "filter[x]==y",
                Input::Query {
                    name: "filter[x]".into(),
                    value: "y".into(),
                },
            ),
            (
                "emoji=🎉:x",
                Input::Text {
                    path: vec![k("emoji")],
                    value: "🎉:x".into(),
                },
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(raw).unwrap(), want, "{raw}");
        }
    }

    #[test]
    fn bad_inputs_are_usage_errors_showing_the_input() {
        for raw in [
            "novalue",
            "=x",
            ":=1",
            "==x",
            ":x",
            "a:=nope",
            "a:={",
            "a[=1",
            "a[b]c=1",
            "[0]=1",
            "a[b[c]]=1",
            "bad header:x",
            "a[99999999999999999999]=1",
        ] {
            let e = parse(raw).unwrap_err();
            assert_eq!(e.exit_code().code(), 2, "{raw}");
            assert!(
                e.message().contains(&format!("{raw:?}")),
                "{raw}: {}",
                e.message()
            );
        }
    }

    #[test]
    fn bodies_nest_and_append() {
        let p = parse_all(&[
            "parent[page_id]=abc".into(),
            "children[][paragraph][rich_text][0][text][content]=Hello".into(),
            "children[][paragraph][rich_text][0][text][content]=World".into(),
            "done:=true".into(),
            "tags[0]=a".into(),
            "tags[1]=b".into(),
            "obj:={\"x\":1}".into(),
            "obj[y]:=2".into(),
            "q==1".into(),
            "X-A:b".into(),
        ])
        .unwrap();
        assert_eq!(
            Value::Object(p.body.unwrap()),
            json!({
                "parent": {"page_id": "abc"},
                "children": [
                    {"paragraph": {"rich_text": [{"text": {"content": "Hello"}}]}},
                    {"paragraph": {"rich_text": [{"text": {"content": "World"}}]}},
                ],
                "done": true,
                "tags": ["a", "b"],
                "obj": {"x": 1, "y": 2},
            })
        );
        assert_eq!(p.query, vec![("q".to_string(), "1".to_string())]);
        assert_eq!(p.headers, vec![("X-A".to_string(), "b".to_string())]);
    }

    #[test]
    fn no_body_inputs_means_no_body() {
        let p = parse_all(&["a==1".into(), "H:v".into()]).unwrap();
        assert!(p.body.is_none());
    }

    #[test]
    fn conflicts_are_usage_errors() {
        for set in [
            vec!["a=1", "a[b]=2"],
            vec!["a[b]=2", "a=1"],
            vec!["a=1", "a=2"],
            vec!["a[0]=1", "a[b]=2"],
            vec!["a[b]=1", "a[0]=2"],
            vec!["a[0]=1", "a[0]=2"],
            vec!["a[1]=1"],
            vec!["a:=5", "a[]=1"],
        ] {
            let inputs: Vec<String> = set.iter().map(|s| s.to_string()).collect();
            let e = parse_all(&inputs).unwrap_err();
            assert_eq!(e.exit_code().code(), 2, "{set:?}");
        }
        let e = parse_all(&["a=1".into(), "a[b]=2".into()]).unwrap_err();
        assert!(e.message().contains("conflicting"), "{}", e.message());
        assert!(e.message().contains('a'), "{}", e.message());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn escape(name: &str) -> String {
            let mut s = String::new();
            for c in name.chars() {
                if matches!(c, '\\' | '=' | ':' | '[' | ']') {
                    s.push('\\');
                }
                s.push(c);
            }
            s
        }

        proptest! {
            #[test]
            fn never_panics(s in "\\PC*") {
                let _ = parse(&s);
                let _ = parse_all(&[s.clone(), s]);
            }

            #[test]
            fn never_panics_on_operator_soup(s in "[a-z\\[\\]=:\\\\0-9{}\" ]{0,24}") {
                let _ = parse_all(&[s.clone(), s.clone(), s]);
            }

            #[test]
            fn escaped_text_fields_round_trip(name in "\\PC{1,16}", value in "\\PC*") {
                // `a==x` is a query parameter by design.
                prop_assume!(!value.starts_with('='));
                let raw = format!("{}={}", escape(&name), value);
                prop_assert_eq!(
                    parse(&raw).unwrap(),
                    Input::Text { path: vec![Seg::Key(name)], value }
                );
            }

            #[test]
            fn escaped_query_round_trips(name in "\\PC{1,16}", value in "\\PC*") {
                let raw = format!("{}=={}", escape(&name), value);
                prop_assert_eq!(parse(&raw).unwrap(), Input::Query { name, value });
            }

            #[test]
            fn json_values_round_trip(name in "[a-z_]{1,10}", n in any::<i64>(), b in any::<bool>(), t in "\\PC*") {
                let v = serde_json::json!({"n": n, "b": b, "t": t, "l": [n, null]});
                let raw = format!("{name}:={v}");
                prop_assert_eq!(parse(&raw).unwrap(), Input::Json { path: vec![Seg::Key(name)], value: v });
            }

            #[test]
            fn nested_paths_round_trip(keys in proptest::collection::vec("[a-z_]{1,6}", 1..5), value in "\\PC*") {
                prop_assume!(!value.starts_with('='));
                let mut raw = keys[0].clone();
                for k in &keys[1..] { raw.push_str(&format!("[{k}]")); }
                let input = format!("{raw}={value}");
                let p = parse_all(&[input]).unwrap();
                let mut v = &Value::Object(p.body.unwrap());
                for k in &keys { v = &v[k.as_str()]; }
                prop_assert_eq!(v, &Value::String(value));
                prop_assert_eq!(show_path(&keys.iter().map(|k| Seg::Key(k.clone())).collect::<Vec<_>>()), raw);
            }
        }
    }
}
