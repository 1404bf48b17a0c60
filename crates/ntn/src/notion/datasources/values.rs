//! Property values flattened to text, for tables, TSV and CSV: titles and
//! rich text as plain text, options by name, people by name, dates as ISO
//! dates (a range as `start/end`, or `start → end` for people), numbers as
//! the server wrote them, lists joined with `, `.

use serde_json::Value;

use super::columns::Column;
use super::schema::plain_text;

/// For whom the text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A table on a terminal: short timestamps, `→` in ranges.
    Human,
    /// TSV and CSV: full timestamps, ISO ranges.
    Machine,
}

/// The text of one column of a page (a query result).
pub fn cell(page: &Value, col: &Column, style: Style) -> String {
    match col {
        Column::Id => text(&page["id"]),
        Column::Url => text(&page["url"]),
        Column::Created => timestamp(&text(&page["created_time"]), style),
        Column::Edited => timestamp(&text(&page["last_edited_time"]), style),
        Column::Prop(p) => {
            let props = &page["properties"];
            let v = props
                .get(&p.name)
                .or_else(|| {
                    props
                        .as_object()
                        .and_then(|m| m.values().find(|v| v["id"] == p.id.as_str()))
                })
                .unwrap_or(&Value::Null);
            property(v, style)
        }
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// `2025-01-02T03:04:05.000Z` → `2025-01-02 03:04` for people.
pub fn timestamp(t: &str, style: Style) -> String {
    match style {
        Style::Machine => t.to_string(),
        Style::Human if t.len() >= 16 && t.as_bytes().get(10) == Some(&b'T') => {
            format!("{} {}", &t[..10], &t[11..16])
        }
        Style::Human => t.to_string(),
    }
}

/// The text of a property value (`{"type": "select", "select": {...}}`).
pub fn property(v: &Value, style: Style) -> String {
    let kind = v["type"].as_str().unwrap_or("");
    let inner = &v[kind];
    match kind {
        "title" | "rich_text" => plain_text(inner),
        "number" => number(inner),
        "checkbox" => match inner.as_bool() {
            Some(true) => "true".into(),
            Some(false) => "false".into(),
            None => String::new(),
        },
        "select" | "status" => text(&inner["name"]),
        "multi_select" => join(inner, |o| text(&o["name"])),
        "date" => date(inner, style),
        "people" => join(inner, person),
        "created_by" | "last_edited_by" => person(inner),
        "relation" => join(inner, |o| text(&o["id"])),
        "files" => join(inner, |f| text(&f["name"])),
        "url" | "email" | "phone_number" => text(inner),
        "created_time" | "last_edited_time" => timestamp(&text(inner), style),
        "unique_id" => match inner["number"].as_i64() {
            Some(n) => match inner["prefix"].as_str() {
                Some(p) if !p.is_empty() => format!("{p}-{n}"),
                _ => n.to_string(),
            },
            None => String::new(),
        },
        "formula" => {
            let t = inner["type"].as_str().unwrap_or("");
            match t {
                "string" => text(&inner["string"]),
                "number" => number(&inner["number"]),
                "boolean" => inner["boolean"]
                    .as_bool()
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
                "date" => date(&inner["date"], style),
                _ => String::new(),
            }
        }
        "rollup" => {
            let t = inner["type"].as_str().unwrap_or("");
            match t {
                "number" => number(&inner["number"]),
                "date" => date(&inner["date"], style),
                "array" => join(&inner["array"], |item| property(item, style)),
                _ => String::new(),
            }
        }
        "verification" => text(&inner["state"]),
        _ => String::new(),
    }
}

fn number(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn person(p: &Value) -> String {
    [&p["name"], &p["person"]["email"], &p["id"]]
        .into_iter()
        .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
        .unwrap_or("")
        .to_string()
}

fn date(d: &Value, style: Style) -> String {
    let Some(start) = d["start"].as_str() else {
        return String::new();
    };
    let show = |t: &str| match style {
        Style::Human if t.len() > 10 => timestamp(t, style),
        _ => t.to_string(),
    };
    match d["end"].as_str() {
        Some(end) if style == Style::Human => format!("{} → {}", show(start), show(end)),
        Some(end) => format!("{start}/{end}"),
        None => show(start),
    }
}

fn join(list: &Value, each: impl Fn(&Value) -> String) -> String {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(each)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(v: Value) -> String {
        property(&v, Style::Machine)
    }

    #[test]
    fn every_common_type_flattens() {
        assert_eq!(
            t(json!({"type": "title", "title": [{"plain_text": "A"}, {"plain_text": "b"}]})),
            "Ab"
        );
        assert_eq!(t(json!({"type": "rich_text", "rich_text": []})), "");
        assert_eq!(t(json!({"type": "number", "number": 5.5})), "5.5");
        assert_eq!(t(json!({"type": "number", "number": 1000000})), "1000000");
        assert_eq!(t(json!({"type": "number", "number": null})), "");
        assert_eq!(t(json!({"type": "checkbox", "checkbox": true})), "true");
        assert_eq!(
            t(json!({"type": "select", "select": {"name": "Done"}})),
            "Done"
        );
        assert_eq!(t(json!({"type": "select", "select": null})), "");
        assert_eq!(
            t(json!({"type": "status", "status": {"name": "In progress"}})),
            "In progress"
        );
        assert_eq!(
            t(json!({"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]})),
            "a, b"
        );
        assert_eq!(
            t(json!({"type": "date", "date": {"start": "2025-01-01", "end": "2025-01-03"}})),
            "2025-01-01/2025-01-03"
        );
        assert_eq!(
            property(
                &json!({"type": "date", "date": {"start": "2025-01-01T09:30:00.000+02:00", "end": null}}),
                Style::Human
            ),
            "2025-01-01 09:30"
        );
        assert_eq!(
            property(
                &json!({"type": "date", "date": {"start": "2025-01-01", "end": "2025-01-03"}}),
                Style::Human
            ),
            "2025-01-01 → 2025-01-03"
        );
        assert_eq!(
            t(
                json!({"type": "people", "people": [{"name": "Alice"}, {"id": "u2", "person": {"email": "b@x"}}, {"id": "u3"}]})
            ),
            "Alice, b@x, u3"
        );
        assert_eq!(
            t(json!({"type": "relation", "relation": [{"id": "p1"}, {"id": "p2"}]})),
            "p1, p2"
        );
        assert_eq!(t(json!({"type": "url", "url": "https://x"})), "https://x");
        assert_eq!(t(json!({"type": "email", "email": null})), "");
        assert_eq!(
            t(json!({"type": "files", "files": [{"name": "a.pdf"}]})),
            "a.pdf"
        );
        assert_eq!(
            t(json!({"type": "unique_id", "unique_id": {"prefix": "T", "number": 3}})),
            "T-3"
        );
        assert_eq!(
            t(json!({"type": "formula", "formula": {"type": "number", "number": 2}})),
            "2"
        );
        assert_eq!(
            t(
                json!({"type": "rollup", "rollup": {"type": "array", "array": [{"type": "number", "number": 1}, {"type": "title", "title": [{"plain_text": "x"}]}]}})
            ),
            "1, x"
        );
        assert_eq!(
            t(json!({"type": "created_by", "created_by": {"id": "u1"}})),
            "u1"
        );
        assert_eq!(t(json!({"type": "button", "button": {}})), "");
        assert_eq!(t(Value::Null), "");
    }

    #[test]
    fn columns_of_a_page() {
        let page = json!({"id": "p1", "url": "https://n/p1", "created_time": "2025-02-01T09:00:00.000Z",
            "last_edited_time": "2025-02-02T10:30:00.000Z",
            "properties": {"Renamed": {"id": "st", "type": "select", "select": {"name": "Done"}}}});
        let prop = Column::Prop(super::super::schema::Property {
            id: "st".into(),
            name: "Status".into(),
            kind: "select".into(),
            options: vec![],
        });
        // Found by id when the name differs.
        assert_eq!(cell(&page, &prop, Style::Machine), "Done");
        assert_eq!(cell(&page, &Column::Id, Style::Human), "p1");
        assert_eq!(
            cell(&page, &Column::Created, Style::Human),
            "2025-02-01 09:00"
        );
        assert_eq!(
            cell(&page, &Column::Edited, Style::Machine),
            "2025-02-02T10:30:00.000Z"
        );
        assert_eq!(cell(&page, &Column::Url, Style::Machine), "https://n/p1");
    }
}
