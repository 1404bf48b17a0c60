//! The `--set` language of `ntn datasources update`: `Name=value`, `Name=`
//! (clear), `Name+=a,b` and `Name-=a` (add to or remove from a multi-select,
//! people or relation property), names in double quotes when they hold
//! spaces or `=` (`"Due date"=+7d`), dates as ISO dates or relative to today
//! (`today`, `+7d`, as `--where` takes them).
//!
//! [`parse`] reads one assignment (usage errors, exit 2); [`Setter::new`]
//! checks it against the schema before anything is sent (unknown property or
//! option: "did you mean", exit 1 as `pages edit`; read-only types refused);
//! [`Setter::change`] gives a row's change, or none when the row already has
//! the value.

use serde_json::{Value, json};

use super::dates;
use super::schema::{Found, Schema};
use crate::error::{Error, Result};
use crate::notion::pages::edit::PropChange;
use crate::notion::pages::props::{self, Lookup};
use crate::output::text::clean;

/// What an assignment does to the property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`: set (an empty value clears).
    Set,
    /// `+=`: add options, people or pages.
    Add,
    /// `-=`: remove them.
    Remove,
}

/// One `--set` as typed: the property's name, the operation, the value's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub op: Op,
    pub value: String,
}

const FORMS: &str = "--set takes Name=value, Name= (clear), Name+=a,b or Name-=a (multi-select, \
people, relation); quote names with spaces: '\"Due date\"=+7d'";

/// Reads one `--set` argument.
pub fn parse(spec: &str) -> Result<Assignment> {
    let bad = |what: &str| {
        Error::usage(format!("--set {:?}: {what}", clean(spec))).hint(FORMS.to_string())
    };
    let s = spec.trim_start();
    let (name, rest) = if let Some(quoted) = s.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, c)) => name.push(c),
                    None => break,
                },
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                c => name.push(c),
            }
        }
        let end = end.ok_or_else(|| bad("the quoted name has no closing quote"))?;
        (name, quoted[end..].trim_start())
    } else {
        let eq = s.find('=').ok_or_else(|| bad("no `=`"))?;
        let mut name_end = eq;
        if eq > 0 && matches!(s.as_bytes()[eq - 1], b'+' | b'-') {
            name_end = eq - 1;
        }
        (s[..name_end].trim().to_string(), &s[name_end..])
    };
    let (op, value) = if let Some(v) = rest.strip_prefix("+=") {
        (Op::Add, v)
    } else if let Some(v) = rest.strip_prefix("-=") {
        (Op::Remove, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (Op::Set, v)
    } else {
        return Err(bad("expected =, += or -= after the name"));
    };
    if name.is_empty() {
        return Err(bad("no property name before the `=`"));
    }
    Ok(Assignment {
        name,
        op,
        value: value.trim().to_string(),
    })
}

/// An assignment checked against the schema, ready to apply to rows.
#[derive(Clone, Debug)]
pub struct Setter {
    pub name: String,
    pub kind: String,
    pub op: Op,
    /// `Set`: the plain value (as frontmatter has it); `Add`/`Remove`: the
    /// list of names, people or page ids.
    pub value: Value,
    options: Option<Vec<String>>,
}

impl Setter {
    /// Checks `a` against `schema`: the property exists and can be set, the
    /// value fits its type and options, people are known (through `users`).
    /// Dates count from `today`.
    pub fn new(
        a: &Assignment,
        schema: &Schema,
        today: jiff::civil::Date,
        users: &dyn Lookup,
    ) -> Result<Setter> {
        let prop = match schema.find(&a.name) {
            Found::Yes(p) => p,
            Found::No { .. } => {
                return Err(props::unknown_property(
                    &a.name,
                    schema.properties.iter().map(|p| p.name.as_str()),
                ));
            }
        };
        let shown = clean(&prop.name).into_owned();
        let kind = prop.kind.clone();
        let options = schema.raw["properties"]
            .as_object()
            .and_then(|m| m.values().find(|v| v["id"] == prop.id.as_str()))
            .and_then(props::options);
        let list = |text: &str| -> Value {
            Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| json!(s))
                    .collect(),
            )
        };
        let value =
            match (a.op, kind.as_str()) {
                (Op::Add | Op::Remove, "multi_select" | "people" | "relation") => list(&a.value),
                (Op::Add | Op::Remove, _) => {
                    return Err(Error::usage(format!(
                    "--set {shown:?}: += and -= add to and remove from multi-select, people and \
                     relation properties; {shown:?} is a {kind} property"
                ))
                .hint(format!("set it with {}=value", super::schema::quote_name(&prop.name))));
                }
                (Op::Set, _) => plain_of(&shown, &kind, &a.value, today)?,
            };
        let setter = Setter {
            name: prop.name.clone(),
            kind,
            op: a.op,
            value,
            options,
        };
        // Checked now, before any row: type, options, people, read-only.
        props::input(
            &setter.name,
            &setter.kind,
            &setter.value,
            setter.options.as_deref(),
            None,
            users,
        )?;
        Ok(setter)
    }

    /// The change to the row `page` (a page object), or `None` when it
    /// already has the value. People and relations that Notion may show only
    /// in part are refused (the others would be dropped).
    pub fn change(&self, page: &Value, users: &dyn Lookup) -> Result<Option<PropChange>> {
        let null = json!({"type": self.kind, (self.kind.clone()): Value::Null});
        let now = page["properties"].get(&self.name).unwrap_or(&null);
        let before = props::plain(now);
        let input = match self.op {
            Op::Set => props::input(
                &self.name,
                &self.kind,
                &self.value,
                self.options.as_deref(),
                Some(now),
                users,
            )?,
            Op::Add | Op::Remove => self.add_remove(now, users)?,
        };
        if props::unchanged(now, &input) {
            return Ok(None);
        }
        if props::may_be_truncated(now) {
            let what = if self.kind == "people" {
                "people"
            } else {
                "pages"
            };
            return Err(Error::local(format!(
                "property {:?} may have more than the {} {what} Notion shows in a page: \
                 ntn does not change it, so as not to drop the others",
                clean(&self.name),
                props::MAX_REFERENCES
            ))
            .hint("change this row in Notion"));
        }
        let after = match self.kind.as_str() {
            "people" => props::people_shown(&input, Some(now), users),
            "multi_select" => Value::Array(
                input["multi_select"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| o["name"].clone())
                    .collect(),
            ),
            "relation" => Value::Array(
                input["relation"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| o["id"].clone())
                    .collect(),
            ),
            _ => self.value.clone(),
        };
        Ok(Some(PropChange {
            name: self.name.clone(),
            kind: self.kind.clone(),
            before,
            after,
            input,
        }))
    }

    /// The input of `+=`/`-=`: the row's current list with the given items
    /// added (at the end, once) or removed.
    fn add_remove(&self, now: &Value, users: &dyn Lookup) -> Result<Value> {
        let given = props::input(
            &self.name,
            &self.kind,
            &self.value,
            self.options.as_deref(),
            Some(now),
            users,
        )?;
        let key = |x: &Value| -> Option<String> {
            match self.kind.as_str() {
                "multi_select" => x["name"].as_str().map(str::to_string),
                _ => x["id"]
                    .as_str()
                    .and_then(crate::notion::pages::id::normalize),
            }
        };
        let mut items: Vec<Value> = now[&self.kind]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| match self.kind.as_str() {
                "multi_select" => json!({"name": x["name"]}),
                "people" => json!({"object": "user", "id": x["id"]}),
                _ => json!({"id": x["id"]}),
            })
            .collect();
        let new: Vec<Value> = given[&self.kind].as_array().cloned().unwrap_or_default();
        match self.op {
            Op::Add => {
                for n in new {
                    if !items.iter().any(|i| key(i) == key(&n)) {
                        items.push(n);
                    }
                }
            }
            _ => items.retain(|i| !new.iter().any(|n| key(n) == key(i))),
        }
        Ok(json!({ (self.kind.clone()): items }))
    }
}

/// The plain value of `Name=text` for a property of type `kind`: empty text
/// clears; numbers, booleans and dates (relative ones from `today`) parsed;
/// lists split on commas.
fn plain_of(shown: &str, kind: &str, text: &str, today: jiff::civil::Date) -> Result<Value> {
    let t = text.trim();
    let wrong = |what: &str| {
        Error::usage(format!(
            "--set {shown:?} ({kind}) takes {what}, not {:?}",
            clean(t)
        ))
    };
    if t.is_empty() {
        return Ok(match kind {
            "title" | "rich_text" => json!(""),
            "checkbox" => json!(false),
            "multi_select" | "people" | "relation" => json!([]),
            _ => Value::Null,
        });
    }
    Ok(match kind {
        "number" => {
            if let Ok(i) = t.parse::<i64>() {
                json!(i)
            } else {
                match t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => return Err(wrong("a number")),
                }
            }
        }
        "checkbox" => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" => json!(true),
            "false" | "no" => json!(false),
            _ => return Err(wrong("true or false")),
        },
        "multi_select" | "people" | "relation" => Value::Array(
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect(),
        ),
        "date" => {
            let one = |s: &str| {
                dates::parse(s, today).map_err(|e| {
                    wrong("a date (2025-03-01, today, +7d, or start/end)")
                        .hint(clean(&e).into_owned())
                })
            };
            match t.split_once('/') {
                Some((a, b)) => json!(format!("{}/{}", one(a)?, one(b)?)),
                None => json!(one(t)?),
            }
        }
        _ => json!(t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::users::Offline;

    fn roadmap() -> Schema {
        Schema::from_json(&json!({
            "object": "data_source", "id": "ds1", "title": [{"plain_text": "Roadmap"}],
            "properties": {
                "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
                "Status": {"id": "st", "name": "Status", "type": "status",
                           "status": {"options": [{"name": "Not started"}, {"name": "Done"}]}},
                "Stage": {"id": "s", "name": "Stage", "type": "select",
                          "select": {"options": [{"name": "Planned"}, {"name": "Shipped"}]}},
                "Tags": {"id": "t", "name": "Tags", "type": "multi_select",
                         "multi_select": {"options": [{"name": "docs"}, {"name": "backend"}]}},
                "Estimate": {"id": "e", "name": "Estimate", "type": "number", "number": {}},
                "Due date": {"id": "Du%3Ae", "name": "Due date", "type": "date", "date": {}}
            }
        }))
        .unwrap()
    }

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2025, 3, 1)
    }

    #[test]
    fn assignments_parse() {
        let a = parse("Status=Done").unwrap();
        assert_eq!(
            (a.name.as_str(), a.op, a.value.as_str()),
            ("Status", Op::Set, "Done")
        );
        let a = parse("Tags+=bug, docs").unwrap();
        assert_eq!(
            (a.name.as_str(), a.op, a.value.as_str()),
            ("Tags", Op::Add, "bug, docs")
        );
        let a = parse("Tags-=bug").unwrap();
        assert_eq!(a.op, Op::Remove);
        let a = parse("\"Due date\"=+7d").unwrap();
        assert_eq!((a.name.as_str(), a.value.as_str()), ("Due date", "+7d"));
        let a = parse("\"A \\\"q\\\"\" += x").unwrap();
        assert_eq!((a.name.as_str(), a.op), ("A \"q\"", Op::Add));
        let a = parse("Notes=").unwrap();
        assert_eq!(a.value, "");
        let a = parse("Notes=a=b").unwrap();
        assert_eq!(a.value, "a=b");
        for bad in ["Status", "=x", "\"Due date", "\"Due\" x"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::ExitCode::Usage, "{bad}");
        }
    }

    #[test]
    fn setters_are_checked_against_the_schema() {
        let s = roadmap();
        let set = |spec: &str| Setter::new(&parse(spec).unwrap(), &s, today(), &Offline);
        let e = set("Stauts=Done").unwrap_err();
        assert!(
            e.message().contains("did you mean \"Status\""),
            "{}",
            e.message()
        );
        let e = set("Stage=Plannd").unwrap_err();
        assert!(
            e.message().contains("did you mean \"Planned\""),
            "{}",
            e.message()
        );
        let e = set("Stage+=Planned").unwrap_err();
        assert_eq!(e.exit_code(), crate::error::ExitCode::Usage);
        let e = set("Estimate=lots").unwrap_err();
        assert_eq!(e.exit_code(), crate::error::ExitCode::Usage);
        let d = set("\"Due date\"=+7d").unwrap();
        assert_eq!(d.value, json!("2025-03-08"));
        let d = set("\"Due date\"=today/+2d").unwrap();
        assert_eq!(d.value, json!("2025-03-01/2025-03-03"));
        assert_eq!(set("Estimate=").unwrap().value, Value::Null);
    }

    #[test]
    fn changes_against_a_row() {
        let s = roadmap();
        let set = |spec: &str| Setter::new(&parse(spec).unwrap(), &s, today(), &Offline).unwrap();
        let row = json!({"properties": {
            "Tags": {"id": "t", "type": "multi_select", "multi_select": [{"name": "docs"}]},
            "Stage": {"id": "s", "type": "select", "select": {"name": "Planned"}},
        }});
        assert!(
            set("Stage=Planned")
                .change(&row, &Offline)
                .unwrap()
                .is_none()
        );
        let c = set("Tags+=docs, backend")
            .change(&row, &Offline)
            .unwrap()
            .unwrap();
        assert_eq!(
            c.input,
            json!({"multi_select": [{"name": "docs"}, {"name": "backend"}]})
        );
        assert_eq!(c.before, json!(["docs"]));
        assert_eq!(c.after, json!(["docs", "backend"]));
        assert!(set("Tags+=docs").change(&row, &Offline).unwrap().is_none());
        let c = set("Tags-=docs").change(&row, &Offline).unwrap().unwrap();
        assert_eq!(c.input, json!({"multi_select": []}));
        assert!(
            set("Tags-=backend")
                .change(&row, &Offline)
                .unwrap()
                .is_none()
        );
    }
}
