//! Property values as people read and write them in frontmatter, and back.
//!
//! [`plain`] turns Notion's property value into a plain value: text for title and rich
//! text; a number; the name of a select or status; a list of names for multi-select; a
//! date as `start` or `start/end` (ISO 8601 interval); a boolean for a checkbox; a string
//! for URL, email and phone; people (and created/edited by) by email, else name, else id
//! (the entries as [`super::people::fill`] completed them); page ids for relations; file
//! names (or external URLs) for files; the value of a formula, rollup or unique id.
//!
//! [`input`] turns a plain value back into what the API takes, checked against the
//! property's type and, for selects, its options: an option that does not exist is an
//! error with a suggestion (Notion would silently create it); people are emails, names,
//! `me` or ids, resolved to user ids by a [`Lookup`]. Read-only properties (formula,
//! rollup, created/edited time and by, unique id, files, …) cannot be set.
//! [`unchanged`] says whether an input would leave a value as it is (the same people
//! named another way, one option given as text rather than a list).

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
pub use crate::notion::users::Lookup;
use crate::notion::users::{FORMS, User};

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
        "people" => list(v, user_shown),
        "created_by" | "last_edited_by" => user_shown(v).map_or(Value::Null, Value::String),
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

/// A user entry as shown: its email, else its name, else its id.
fn user_shown(u: &Value) -> Option<String> {
    u["person"]["email"]
        .as_str()
        .filter(|e| !e.is_empty())
        .or_else(|| u["name"].as_str().filter(|n| !n.is_empty()))
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
/// the property's value now (its people are found first); `users` names the others.
pub fn input(
    name: &str,
    kind: &str,
    value: &Value,
    options: Option<&[String]>,
    current: Option<&Value>,
    users: &dyn Lookup,
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
            let people = || wrong("people (one, or a list)").hint(FORMS);
            let items = as_list(value).ok_or_else(people)?;
            let also: Vec<User> = current
                .and_then(|c| c["people"].as_array())
                .map(|a| a.iter().filter_map(User::from_json).collect())
                .unwrap_or_default();
            let mut ids: Vec<Value> = Vec::new();
            for v in &items {
                let s = v
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(people)?;
                let id = users.resolve(s, &also).map_err(|e| {
                    let hint = e.hint_text().map(str::to_string);
                    let mut out = Error::new(
                        e.exit_code(),
                        format!("property {shown:?}: {}", e.message()),
                    );
                    if let Some(h) = hint {
                        out = out.hint(h);
                    }
                    out
                })?;
                let entry = json!({"object": "user", "id": id});
                if !ids.contains(&entry) {
                    ids.push(entry);
                }
            }
            Value::Array(ids)
        }
        "files" => {
            return Err(Error::local(format!(
                "property {shown:?} is a files property: ntn reads it but does not set it"
            ))
            .hint(
                "leave it as it is (or remove it from the frontmatter); attach files in Notion",
            ));
        }
        _ => {
            return Err(Error::local(format!(
                "property {shown:?} is read-only (a {kind} property): its value cannot be set"
            ))
            .hint("leave it as it is (or remove it from the frontmatter)"));
        }
    };
    Ok(json!({ kind: inner }))
}

/// Notion's page object lists at most this many people or pages of a property.
pub const MAX_REFERENCES: usize = 25;

/// Whether the property value `now` may lack people or pages past Notion's limit (the
/// page object shows the first 25; a relation says `has_more`).
pub fn may_be_truncated(now: &Value) -> bool {
    let kind = now["type"].as_str().unwrap_or("");
    matches!(kind, "people" | "relation")
        && (now["has_more"] == true
            || now[kind]
                .as_array()
                .is_some_and(|a| a.len() >= MAX_REFERENCES))
}

/// The plain value a people input reads as: who each id is, as `get` shows people.
pub fn people_shown(input: &Value, current: Option<&Value>, users: &dyn Lookup) -> Value {
    let also: Vec<User> = current
        .and_then(|c| c["people"].as_array())
        .map(|a| a.iter().filter_map(User::from_json).collect())
        .unwrap_or_default();
    Value::Array(
        input["people"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u["id"].as_str())
                    .map(|id| Value::String(users.label(id, &also)))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// Whether sending `input` (from [`input`]) would leave the property value `now` as it
/// is: the same people or pages, however named; the same options; the same text.
pub fn unchanged(now: &Value, input: &Value) -> bool {
    let kind = now["type"].as_str().unwrap_or("");
    let (v, i) = (&now[kind], &input[kind]);
    if input.get(kind).is_none() {
        return false;
    }
    let ids = |a: &Value| -> Vec<Option<String>> {
        a.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["id"].as_str().and_then(super::id::normalize))
                    .collect()
            })
            .unwrap_or_default()
    };
    let names = |a: &Value| -> Vec<Option<String>> {
        a.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "people" | "relation" => ids(v) == ids(i),
        "multi_select" => names(v) == names(i),
        "select" | "status" => v["name"] == i["name"],
        "title" | "rich_text" => {
            let sent: String = i
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t["text"]["content"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            rich_plain(v) == sent
        }
        "date" => date_plain(v) == date_plain(i),
        _ => same(v, i),
    }
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
    use crate::notion::users::Offline;

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
            plain(&prop(
                "people",
                json!([{"id": "u1", "name": "Alice", "type": "person", "person": {"email": "a@x.test"}}])
            )),
            json!(["a@x.test"])
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
            input(
                "Status",
                "select",
                &json!("Done"),
                Some(&opts),
                None,
                &Offline
            )
            .unwrap(),
            json!({"select": {"name": "Done"}})
        );
        let e = input(
            "Status",
            "select",
            &json!("done!"),
            Some(&opts),
            None,
            &Offline,
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "\"Status\" has no option \"done!\" (did you mean \"Done\"?)"
        );
        assert!(e.hint_text().unwrap().contains("does not create options"));
        assert_eq!(
            input("Tags", "multi_select", &json!(["a"]), None, None, &Offline).unwrap(),
            json!({"multi_select": [{"name": "a"}]})
        );
        assert_eq!(
            input(
                "When",
                "date",
                &json!("2025-01-01/2025-01-02"),
                None,
                None,
                &Offline
            )
            .unwrap(),
            json!({"date": {"start": "2025-01-01", "end": "2025-01-02"}})
        );
        assert!(input("When", "date", &json!("tomorrow"), None, None, &Offline).is_err());
        assert!(input("N", "number", &json!("3"), None, None, &Offline).is_err());
        assert!(input("F", "formula", &json!(1), None, None, &Offline).is_err());
        let long = "x".repeat(4500);
        let v = input("Notes", "rich_text", &json!(long), None, None, &Offline).unwrap();
        assert_eq!(v["rich_text"].as_array().unwrap().len(), 3);
        let current = json!({"type": "people", "people": [{"id": "aaaaaaaa-0000-4000-8000-000000000001", "name": "Alice"}]});
        assert_eq!(
            input(
                "Owner",
                "people",
                &json!(["Alice"]),
                None,
                Some(&current),
                &Offline
            )
            .unwrap(),
            json!({"people": [{"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000001"}]})
        );
    }

    /// A data source row with a property of every type, as Notion returns it.
    fn every_type() -> crate::notion::pages::Read {
        let rt = |t: &str| json!([{"type": "text", "text": {"content": t}, "plain_text": t}]);
        let alice = json!({"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000001",
            "type": "person", "name": "Alice", "person": {"email": "alice@acme.test"}});
        let bot = json!({"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000009",
            "type": "bot", "name": "Build bot"});
        let mut props = Map::new();
        let mut add = |name: &str, kind: &str, v: Value| {
            props.insert(name.to_string(), json!({"id": name, "type": kind, kind: v}));
        };
        add("Name", "title", rt("Launch: \"v1\""));
        add(
            "Notes",
            "rich_text",
            json!([{"type": "text", "text": {"content": "bold"}, "plain_text": "bold",
                    "annotations": {"bold": true}},
                   {"type": "text", "text": {"content": " 123"}, "plain_text": " 123"}]),
        );
        add("Digits", "rich_text", rt("123"));
        add("Yes", "rich_text", rt("yes"));
        add("Empty", "rich_text", json!([]));
        add("Estimate", "number", json!(5.5));
        add("Count", "number", json!(8));
        add("None", "number", Value::Null);
        add(
            "Stage",
            "select",
            json!({"id": "s", "name": "Planned", "color": "blue"}),
        );
        add("Unset", "select", Value::Null);
        add(
            "Status",
            "status",
            json!({"id": "t", "name": "In progress"}),
        );
        add(
            "Tags",
            "multi_select",
            json!([{"name": "docs"}, {"name": "backend"}]),
        );
        add("No tags", "multi_select", json!([]));
        add(
            "Due",
            "date",
            json!({"start": "2025-03-10", "end": null, "time_zone": null}),
        );
        add(
            "Meeting",
            "date",
            json!({"start": "2025-03-10T09:30:00.000+02:00", "end": null}),
        );
        add(
            "Trip",
            "date",
            json!({"start": "2025-03-10", "end": "2025-03-12", "time_zone": null}),
        );
        add("No date", "date", Value::Null);
        add("Done", "checkbox", json!(false));
        add("Link", "url", json!("https://acme.test/a?b=1#c"));
        add("Contact", "email", json!("launch@acme.test"));
        add("Phone", "phone_number", json!("+1 (555) 010-0000"));
        add("No phone", "phone_number", Value::Null);
        add(
            "Blocked by",
            "relation",
            json!([{"id": "d4000000-0000-4000-8000-000000000002"}]),
        );
        add("Owner", "people", json!([alice, bot]));
        add(
            "Files",
            "files",
            json!([{"name": "a.pdf", "type": "file",
                    "file": {"url": "https://s3.test/a.pdf?X-Amz-Signature=1", "expiry_time": "2025-01-01T00:00:00.000Z"}}]),
        );
        add("Score", "formula", json!({"type": "number", "number": 42}));
        add(
            "Label",
            "formula",
            json!({"type": "string", "string": "on"}),
        );
        add(
            "Late",
            "formula",
            json!({"type": "boolean", "boolean": true}),
        );
        add(
            "Next",
            "formula",
            json!({"type": "date", "date": {"start": "2025-04-01", "end": null}}),
        );
        add(
            "Total",
            "rollup",
            json!({"type": "number", "number": 3, "function": "sum"}),
        );
        add(
            "All",
            "rollup",
            json!({"type": "array", "function": "show_original",
                   "array": [{"type": "number", "number": 1}, {"type": "title", "title": rt("x")}]}),
        );
        add("Created", "created_time", json!("2025-02-01T09:00:00.000Z"));
        add("Creator", "created_by", alice.clone());
        add(
            "Edited",
            "last_edited_time",
            json!("2025-02-02T09:00:00.000Z"),
        );
        add("Editor", "last_edited_by", bot.clone());
        add("Ticket", "unique_id", json!({"prefix": "T", "number": 12}));
        add(
            "Number id",
            "unique_id",
            json!({"prefix": null, "number": 7}),
        );
        crate::notion::pages::Read {
            page: json!({
                "id": "d4000000-0000-4000-8000-000000000001",
                "parent": {"type": "data_source_id", "data_source_id": "d2000000-0000-4000-8000-000000000002"},
                "properties": props,
            }),
            markdown: "Body\n".into(),
            raw: None,
            truncated: false,
            spliced: 0,
            missing: Vec::new(),
        }
    }

    fn no_schema(_: &str) -> Result<Value> {
        Ok(json!({"properties": {}}))
    }

    /// The page written as `get` writes it, `edit` applied to `change`d frontmatter.
    fn plan_of(
        r: &crate::notion::pages::Read,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Result<crate::notion::pages::edit::Plan> {
        use crate::notion::pages::{document, edit};
        let mut front = r.frontmatter();
        change(front["properties"].as_object_mut().unwrap());
        let text = document::write(&front, &r.markdown).unwrap();
        let doc = crate::notion::pages::Document::parse(&text).unwrap();
        let base = edit::base_of(&doc, None)?;
        let no_lossy = |_: &str| Ok(crate::notion::pages::lossy::Lossy::default());
        edit::plan_document(
            r,
            &doc,
            &base,
            &edit::Options::default(),
            &no_schema,
            &no_lossy,
            &Offline,
        )
    }

    #[test]
    fn every_type_written_back_unchanged_sends_nothing() {
        let r = every_type();
        let plan = plan_of(&r, |_| {}).unwrap();
        assert!(plan.is_empty(), "{:?}", plan.properties);
        let front = r.frontmatter();
        let p = &front["properties"];
        assert_eq!(p["Owner"], json!(["alice@acme.test", "Build bot"]));
        assert_eq!(p["Creator"], json!("alice@acme.test"));
        assert_eq!(p["Trip"], json!("2025-03-10/2025-03-12"));
        assert_eq!(p["Files"], json!(["a.pdf"]));
        assert_eq!(p["Ticket"], json!("T-12"));
        // The same values written another way: one name for a list of one, the same
        // person by name or id, a page by its URL.
        let plan = plan_of(&r, |p| {
            p["Tags"] = json!(["docs", "backend"]);
            p["Owner"] = json!(["Alice", "aaaaaaaa000040008000000000000009"]);
            p["Blocked by"] =
                json!("https://www.notion.so/Billing-API-d4000000000040008000000000000002");
            p["Estimate"] = json!(5.50);
        })
        .unwrap();
        assert!(plan.is_empty(), "{:?}", plan.properties);
        // The hash is of the values shown: reading again gives the same one.
        assert_eq!(every_type().content_hash(), r.content_hash());
    }

    #[test]
    fn read_only_properties_are_refused_by_name() {
        let r = every_type();
        for (name, v) in [
            ("Score", json!(43)),
            ("Created", json!("2025-02-03T09:00:00.000Z")),
            ("Creator", json!("bob@acme.test")),
            ("Ticket", json!("T-13")),
            ("Total", json!(4)),
        ] {
            let e = plan_of(&r, |p| p[name] = v).unwrap_err();
            assert!(
                e.message()
                    .starts_with(&format!("property {name:?} is read-only (a ")),
                "{}",
                e.message()
            );
        }
        let e = plan_of(&r, |p| p["Files"] = json!(["b.pdf"])).unwrap_err();
        assert!(
            e.message().contains("ntn reads it but does not set it"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn people_and_relations_past_what_notion_shows_are_not_changed() {
        let mut r = every_type();
        r.page["properties"]["Blocked by"]["has_more"] = json!(true);
        let many: Vec<Value> = (1..=25)
            .map(|i| json!({"object": "user", "id": format!("aaaaaaaa-0000-4000-8000-0000000001{i:02}")}))
            .collect();
        r.page["properties"]["Owner"]["people"] = Value::Array(many);
        assert!(plan_of(&r, |_| {}).unwrap().is_empty());
        let e = plan_of(&r, |p| p["Blocked by"] = json!([])).unwrap_err();
        assert_eq!(
            e.message(),
            "property \"Blocked by\" may have more than the 25 pages Notion shows in a page: \
             ntn does not change it, so as not to drop the others"
        );
        let e = plan_of(&r, |p| {
            p["Owner"].as_array_mut().unwrap().pop();
        })
        .unwrap_err();
        assert!(e.message().contains("25 people"), "{}", e.message());
    }

    #[test]
    fn people_changes_name_people_any_way_and_errors_say_how() {
        let r = every_type();
        let plan = plan_of(&r, |p| p["Owner"] = json!("Build bot")).unwrap();
        assert_eq!(
            plan.properties[0].input,
            json!({"people": [{"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000009"}]})
        );
        assert_eq!(plan.properties[0].after, json!(["Build bot"]));
        let plan = plan_of(&r, |p| p["Owner"] = Value::Null).unwrap();
        assert_eq!(plan.properties[0].input, json!({"people": []}));
        let e = plan_of(&r, |p| p["Owner"] = json!({"a": 1})).unwrap_err();
        assert_eq!(
            e.message(),
            "property \"Owner\" (people) takes people (one, or a list), not a mapping"
        );
        assert_eq!(e.hint_text(), Some(FORMS));
        let e = plan_of(&r, |p| p["Owner"] = json!(["nobody@acme.test"])).unwrap_err();
        assert!(
            e.message().starts_with("property \"Owner\": no person"),
            "{}",
            e.message()
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
