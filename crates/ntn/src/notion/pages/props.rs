//! Property values as people read and write them in frontmatter, and back.
//!
//! [`plain`] turns Notion's property value into a plain value: text for title and rich
//! text; a number; the name of a select or status; a list of names for multi-select; a
//! date as `start` or `start/end` (ISO 8601 interval); a boolean for a checkbox; a string
//! for URL, email and phone; names (or ids) for people; page ids for relations; file names
//! (or external URLs) for files; the value of a formula, rollup or unique id.
//!
//! [`input`] turns a plain value back into what the API takes, checked against the
//! property's type and, for selects, its options: an option that does not exist is an
//! error with a suggestion (Notion would silently create it). Computed properties
//! (formula, rollup, created/edited time and by, unique id, files, …) cannot be set.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// The plain value of a property value (`{"type": "select", "select": {…}}`).
pub fn plain(prop: &Value) -> Value {
    let kind = prop["type"].as_str().unwrap_or("");
    let v = &prop[kind];
    typed_plain(kind, v)
}

fn typed_plain(kind: &str, v: &Value) -> Value {
    match kind {
        "title" | "rich_text" => Value::String(rich_plain(v)),
        "number" | "checkbox" | "url" | "email" | "phone_number" | "created_time"
        | "last_edited_time" => v.clone(),
        "select" | "status" => v["name"].as_str().map_or(Value::Null, |n| json!(n)),
        "multi_select" => list(v, |o| o["name"].as_str().map(str::to_string)),
        "date" => date_plain(v),
        "people" => list(v, user_name),
        "created_by" | "last_edited_by" => user_name(v).map_or(Value::Null, Value::String),
        "relation" => list(v, |r| r["id"].as_str().map(str::to_string)),
        "files" => list(v, |f| {
            f["external"]["url"]
                .as_str()
                .or_else(|| f["name"].as_str())
                .map(str::to_string)
        }),
        "formula" => {
            let t = v["type"].as_str().unwrap_or("");
            if t == "date" {
                date_plain(&v["date"])
            } else {
                v[t].clone()
            }
        }
        "rollup" => match v["type"].as_str() {
            Some("array") => Value::Array(
                v["array"]
                    .as_array()
                    .map(|a| a.iter().map(plain).collect())
                    .unwrap_or_default(),
            ),
            Some("date") => date_plain(&v["date"]),
            Some(t) => v[t].clone(),
            None => Value::Null,
        },
        "unique_id" => match (v["prefix"].as_str(), v["number"].as_u64()) {
            (Some(p), Some(n)) => json!(format!("{p}-{n}")),
            (None, Some(n)) => json!(n),
            _ => Value::Null,
        },
        "verification" => v["state"].clone(),
        _ => Value::Null,
    }
}

fn list(v: &Value, f: impl Fn(&Value) -> Option<String>) -> Value {
    Value::Array(
        v.as_array()
            .map(|a| a.iter().filter_map(&f).map(Value::String).collect())
            .unwrap_or_default(),
    )
}

fn user_name(u: &Value) -> Option<String> {
    u["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .or_else(|| u["id"].as_str())
        .map(str::to_string)
}

fn date_plain(d: &Value) -> Value {
    match (d["start"].as_str(), d["end"].as_str()) {
        (Some(s), Some(e)) => json!(format!("{s}/{e}")),
        (Some(s), None) => json!(s),
        _ => Value::Null,
    }
}

/// The plain text of a rich text array.
pub fn rich_plain(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t["plain_text"].as_str())
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// The title property of a page's properties: (name, value).
pub fn title_property(props: &Map<String, Value>) -> Option<(&str, &Value)> {
    props
        .iter()
        .find(|(_, v)| v["type"] == "title")
        .map(|(k, v)| (k.as_str(), v))
}

/// A page's title as plain text.
pub fn title(page: &Value) -> String {
    page["properties"]
        .as_object()
        .and_then(title_property)
        .map(|(_, v)| rich_plain(&v["title"]))
        .unwrap_or_default()
}

/// Whether two plain values are the same (numbers compared as numbers).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        // An empty text and no text are the same.
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        _ => a == b,
    }
}

/// Types whose values can be set through the API.
pub fn writable(kind: &str) -> bool {
    matches!(
        kind,
        "title"
            | "rich_text"
            | "number"
            | "select"
            | "status"
            | "multi_select"
            | "date"
            | "checkbox"
            | "url"
            | "email"
            | "phone_number"
            | "relation"
            | "people"
    )
}

/// The closest of `candidates` to `word`, if close enough to suggest.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let score = if c.to_lowercase() == w {
                1.0
            } else {
                strsim::jaro_winkler(&w, &c.to_lowercase())
            };
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// ` (did you mean "X"?)` when one of `candidates` is close to `word`, else nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggest(word, candidates)
        .map(|s| format!(" (did you mean {:?}?)", crate::output::text::clean(s)))
        .unwrap_or_default()
}

/// `"a", "b", "c"`: the choices, quoted and cleaned.
pub fn choices<'a>(candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| format!("{:?}", crate::output::text::clean(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `unknown property "Stauts" (did you mean "Status"?)`, the choices as the hint.
pub fn unknown_property<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Error {
    let clean = crate::output::text::clean(word);
    let all = choices(candidates.clone());
    Error::local(format!(
        "unknown property {clean:?}{}",
        did_you_mean(word, candidates)
    ))
    .hint(if all.is_empty() {
        "the page has no properties besides its title".to_string()
    } else {
        format!("the properties are {all}")
    })
}

/// The option names of a select, status or multi-select property in a data source's
/// schema (`properties[name]`).
pub fn options(schema_prop: &Value) -> Option<Vec<String>> {
    let kind = schema_prop["type"].as_str()?;
    let opts = schema_prop[kind]["options"].as_array()?;
    Some(
        opts.iter()
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect(),
    )
}

/// Notion's limit on one text object's content.
const TEXT_CHUNK: usize = 2000;

fn rich_input(s: &str) -> Value {
    let chars: Vec<char> = s.chars().collect();
    Value::Array(
        chars
            .chunks(TEXT_CHUNK)
            .map(|c| json!({"type": "text", "text": {"content": c.iter().collect::<String>()}}))
            .collect(),
    )
}

/// The API input for a property of type `kind` set to the plain `value`. `options` are
/// the select options when known (then a name not among them is an error); `current` is
/// the property's value now (to map people's names back to their ids).
pub fn input(
    name: &str,
    kind: &str,
    value: &Value,
    options: Option<&[String]>,
    current: Option<&Value>,
) -> Result<Value> {
    let shown = crate::output::text::clean(name);
    let wrong = |expected: &str| {
        Error::local(format!(
            "property {shown:?} ({kind}) takes {expected}, not {}",
            describe(value)
        ))
    };
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let check_option = |opt: &str| -> Result<()> {
        match options {
            Some(opts) if !opts.iter().any(|o| o == opt) => Err(Error::local(format!(
                "{shown:?} has no option {:?}{}",
                crate::output::text::clean(opt),
                did_you_mean(opt, opts.iter().map(String::as_str))
            ))
            .hint(format!(
                "its options are {}; ntn does not create options",
                choices(opts.iter().map(String::as_str))
            ))),
            _ => Ok(()),
        }
    };
    let inner = match kind {
        "title" | "rich_text" => match value {
            Value::Null => json!([]),
            v => rich_input(&text(v).ok_or_else(|| wrong("text"))?),
        },
        "number" => match value {
            Value::Null | Value::Number(_) => value.clone(),
            _ => return Err(wrong("a number (or null)")),
        },
        "checkbox" => match value {
            Value::Bool(_) => value.clone(),
            _ => return Err(wrong("true or false")),
        },
        "select" | "status" => match value {
            Value::Null => Value::Null,
            v => {
                let n = text(v).ok_or_else(|| wrong("an option name"))?;
                check_option(&n)?;
                json!({ "name": n })
            }
        },
        "multi_select" => {
            let names: Vec<String> = match value {
                Value::Null => Vec::new(),
                Value::Array(a) => a
                    .iter()
                    .map(|v| text(v).ok_or_else(|| wrong("a list of option names")))
                    .collect::<Result<_>>()?,
                v => vec![text(v).ok_or_else(|| wrong("a list of option names"))?],
            };
            for n in &names {
                check_option(n)?;
            }
            Value::Array(names.into_iter().map(|n| json!({ "name": n })).collect())
        }
        "date" => match value {
            Value::Null => Value::Null,
            Value::String(s) => {
                let (start, end) = match s.split_once('/') {
                    Some((a, b)) => (a.trim(), Some(b.trim())),
                    None => (s.trim(), None),
                };
                if !looks_like_date(start) || end.is_some_and(|e| !looks_like_date(e)) {
                    return Err(wrong(
                        "a date (2025-01-31, 2025-01-31T09:00:00Z, or start/end)",
                    ));
                }
                json!({"start": start, "end": end})
            }
            _ => return Err(wrong("a date (2025-01-31, or start/end)")),
        },
        "url" | "email" | "phone_number" => match value {
            Value::Null => Value::Null,
            v => json!(text(v).ok_or_else(|| wrong("text"))?),
        },
        "relation" => {
            let items = as_list(value).ok_or_else(|| wrong("a list of page ids"))?;
            let ids: Vec<Value> = items
                .iter()
                .map(|v| {
                    v.as_str()
                        .and_then(|s| super::id::parse(s).ok())
                        .map(|id| json!({ "id": id }))
                        .ok_or_else(|| wrong("a list of page ids or URLs"))
                })
                .collect::<Result<_>>()?;
            Value::Array(ids)
        }
        "people" => {
            let items = as_list(value).ok_or_else(|| wrong("a list of user ids"))?;
            let known: Vec<(String, String)> = current
                .and_then(|c| c["people"].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|u| Some((user_name(u)?, u["id"].as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let ids: Vec<Value> = items
                .iter()
                .map(|v| {
                    let s = v.as_str().unwrap_or("");
                    known
                        .iter()
                        .find(|(n, _)| n == s)
                        .map(|(_, id)| id.clone())
                        .or_else(|| super::id::normalize(s))
                        .map(|id| json!({"object": "user", "id": id}))
                        .ok_or_else(|| {
                            wrong("a list of user ids")
                                .hint("people are set by user id: `ntn api v1/users` lists them")
                        })
                })
                .collect::<Result<_>>()?;
            Value::Array(ids)
        }
        _ => {
            return Err(Error::local(format!(
                "property {shown:?} is a {kind} property: its value cannot be set"
            ))
            .hint("leave it as it is (or remove it from the frontmatter)"));
        }
    };
    Ok(json!({ kind: inner }))
}

fn as_list(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => Some(a.clone()),
        Value::String(_) => Some(vec![v.clone()]),
        _ => None,
    }
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{:?}", crate::output::text::clean(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(kind: &str, v: Value) -> Value {
        json!({"id": "x", "type": kind, kind: v})
    }

    #[test]
    fn values_read_as_plain_values() {
        let rt = json!([{"plain_text": "Hello "}, {"plain_text": "world"}]);
        assert_eq!(plain(&prop("title", rt.clone())), json!("Hello world"));
        assert_eq!(plain(&prop("number", json!(3))), json!(3));
        assert_eq!(
            plain(&prop("select", json!({"name": "Done"}))),
            json!("Done")
        );
        assert_eq!(plain(&prop("select", Value::Null)), Value::Null);
        assert_eq!(
            plain(&prop("multi_select", json!([{"name": "a"}, {"name": "b"}]))),
            json!(["a", "b"])
        );
        assert_eq!(
            plain(&prop(
                "date",
                json!({"start": "2025-01-01", "end": "2025-01-05"})
            )),
            json!("2025-01-01/2025-01-05")
        );
        assert_eq!(plain(&prop("checkbox", json!(true))), json!(true));
        assert_eq!(
            plain(&prop(
                "people",
                json!([{"id": "u1", "name": "Alice"}, {"id": "u2"}])
            )),
            json!(["Alice", "u2"])
        );
        assert_eq!(
            plain(&prop("relation", json!([{"id": "p1"}]))),
            json!(["p1"])
        );
        assert_eq!(
            plain(&prop(
                "files",
                json!([{"name": "a.pdf", "type": "file", "file": {"url": "https://s3/x?sig=1"}},
                       {"name": "b", "type": "external", "external": {"url": "https://e/b"}}])
            )),
            json!(["a.pdf", "https://e/b"])
        );
        assert_eq!(
            plain(&prop("formula", json!({"type": "number", "number": 7}))),
            json!(7)
        );
        assert_eq!(
            plain(&prop("unique_id", json!({"prefix": "T", "number": 12}))),
            json!("T-12")
        );
    }

    #[test]
    fn plain_values_become_api_input_checked_against_options() {
        let opts = vec!["Not started".to_string(), "Done".to_string()];
        assert_eq!(
            input("Status", "select", &json!("Done"), Some(&opts), None).unwrap(),
            json!({"select": {"name": "Done"}})
        );
        let e = input("Status", "select", &json!("done!"), Some(&opts), None).unwrap_err();
        assert_eq!(
            e.message(),
            "\"Status\" has no option \"done!\" (did you mean \"Done\"?)"
        );
        assert!(e.hint_text().unwrap().contains("does not create options"));
        assert_eq!(
            input("Tags", "multi_select", &json!(["a"]), None, None).unwrap(),
            json!({"multi_select": [{"name": "a"}]})
        );
        assert_eq!(
            input("When", "date", &json!("2025-01-01/2025-01-02"), None, None).unwrap(),
            json!({"date": {"start": "2025-01-01", "end": "2025-01-02"}})
        );
        assert!(input("When", "date", &json!("tomorrow"), None, None).is_err());
        assert!(input("N", "number", &json!("3"), None, None).is_err());
        assert!(input("F", "formula", &json!(1), None, None).is_err());
        let long = "x".repeat(4500);
        let v = input("Notes", "rich_text", &json!(long), None, None).unwrap();
        assert_eq!(v["rich_text"].as_array().unwrap().len(), 3);
        let current = json!({"type": "people", "people": [{"id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "Alice"}]});
        assert_eq!(
            input("Owner", "people", &json!(["Alice"]), None, Some(&current)).unwrap(),
            json!({"people": [{"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000001"}]})
        );
    }

    #[test]
    fn suggestions_find_near_misses_only() {
        let names = ["Status", "Priority", "Tags"];
        assert_eq!(suggest("status", names), Some("Status"));
        assert_eq!(suggest("Priorty", names), Some("Priority"));
        assert_eq!(suggest("Budget", names), None);
    }
}
