//! `--sort 'Due date desc, Name'` (and `-s`, repeatable, as the official CLI
//! has it): property names (quoted when they hold commas) or the page
//! timestamps `created` and `edited`, each `asc` (the default) or `desc`,
//! into Notion's `sorts`.

use serde_json::{Value, json};

use super::schema::{Found, Schema, quote_name};
use crate::error::{Error, Result};

/// Notion's `sorts` for the given `--sort` values, in order.
pub fn parse(specs: &[String], schema: &Schema) -> Result<Vec<Value>> {
    let mut out = vec![];
    for spec in specs {
        for item in split_list(spec) {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            out.push(one(item, schema)?);
        }
    }
    Ok(out)
}

/// Splits on commas outside double quotes.
pub fn split_list(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A name as written: `"quoted"` (with `\` escapes) or bare.
pub fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => s.to_string(),
    }
}

fn one(item: &str, schema: &Schema) -> Result<Value> {
    let (name, direction) = split_direction(item);
    // split_direction only returns asc, ascending, desc or descending.
    let direction = match direction {
        Some(d) if d.to_ascii_lowercase().starts_with("desc") => "descending",
        _ => "ascending",
    };
    let name = unquote(name);
    match schema.find(&name) {
        Found::Yes(p) => Ok(json!({"property": p.name, "direction": direction})),
        Found::No { suggestion } => {
            let ts = match name.to_ascii_lowercase().as_str() {
                "created" | "created_time" => Some("created_time"),
                "edited" | "last_edited" | "last_edited_time" => Some("last_edited_time"),
                _ => None,
            };
            if let Some(ts) = ts {
                return Ok(json!({"timestamp": ts, "direction": direction}));
            }
            let e = Error::usage(format!("--sort: no property is called {name:?}"));
            Err(match suggestion {
                Some(s) => e.hint(format!(
                    "did you mean {}? (properties: {}; timestamps: created, edited)",
                    quote_name(&s),
                    schema.names()
                )),
                None => e.hint(format!(
                    "properties: {}; timestamps: created, edited",
                    schema.names()
                )),
            })
        }
    }
}

/// `Due date desc` → (`Due date`, `desc`); a last word that is no
/// direction belongs to the name.
fn split_direction(item: &str) -> (&str, Option<&str>) {
    if let Some((name, last)) = item.trim_end().rsplit_once(char::is_whitespace) {
        let l = last.to_ascii_lowercase();
        if ["asc", "ascending", "desc", "descending"].contains(&l.as_str())
            && !name.trim().is_empty()
        {
            return (name.trim(), Some(last));
        }
    }
    (item, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_json(&json!({"id": "ds", "properties": {
            "Name": {"id": "title", "name": "Name", "type": "title"},
            "Due date": {"id": "d", "name": "Due date", "type": "date"},
            "a, b": {"id": "ab", "name": "a, b", "type": "number"},
        }}))
        .unwrap()
    }

    #[test]
    fn sorts_by_property_and_timestamp() {
        let s = schema();
        let specs = vec![
            "Due date desc, name".to_string(),
            "\"a, b\" DESCENDING".to_string(),
            "created asc,edited".to_string(),
        ];
        assert_eq!(
            parse(&specs, &s).unwrap(),
            vec![
                json!({"property": "Due date", "direction": "descending"}),
                json!({"property": "Name", "direction": "ascending"}),
                json!({"property": "a, b", "direction": "descending"}),
                json!({"timestamp": "created_time", "direction": "ascending"}),
                json!({"timestamp": "last_edited_time", "direction": "ascending"}),
            ]
        );
    }

    #[test]
    fn unknown_names_suggest() {
        let e = parse(&["Due dat desc".to_string()], &schema()).unwrap_err();
        assert_eq!(e.exit_code().code(), 2);
        assert_eq!(e.message(), "--sort: no property is called \"Due dat\"");
        assert!(
            e.hint_text()
                .unwrap()
                .starts_with("did you mean \"Due date\"?")
        );
        // A last word that is no direction is part of the name.
        let e = parse(&["Name upward".to_string()], &schema()).unwrap_err();
        assert!(e.message().contains("\"Name upward\""));
    }
}
