//! Property values: Notion's full value shapes for a data source's schema, turning API input
//! (`{"select": {"name": "Done"}}`, rich text arrays, …) into them, empty values for absent
//! properties, and the title-only properties of a page outside a data source.
//!
//! Input that Notion would refuse is an [`InputError`], whose text is the message of the
//! 400 `validation_error` the API answers with. Rich text normalisation lives here too, as
//! it is the input of title and rich text properties (blocks and comments reuse it).

use crate::model::{DataSource, PropDef, SelOpt};
use crate::util::rich_text;
use serde_json::{Map, Value, json};

/// A client value that Notion would refuse. The text is Notion's validation message, which
/// the API answers with as a 400 `validation_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The value is not keyed by the property's type.
    #[error("{name} is expected to be {kind}. Provide `{{\"{kind}\": ...}}`.")]
    NotKeyedByType { name: String, kind: String },
    /// A field has the wrong JSON shape (`got` is the value sent, as JSON).
    #[error("{field} should be {expected}, instead was `{got}`.")]
    WrongShape {
        field: String,
        expected: &'static str,
        got: String,
    },
    /// A rich text item without text.
    #[error("{field}[].text.content should be defined, instead was `undefined`.")]
    NoTextContent { field: String },
    /// A select option that matches no existing option and has no name to create one.
    #[error("{prop}: select option should have a `name`, instead was `{got}`.")]
    OptionWithoutName { prop: String, got: String },
    /// A new select option whose name contains a comma.
    #[error("{prop}: select option names cannot contain commas.")]
    CommaInOptionName { prop: String },
    /// A status option that does not exist: the API does not create status options.
    #[error("Invalid status option. Status option \"{got}\" does not exist for property {prop}.")]
    NoSuchStatus { prop: String, got: String },
    /// A property whose value Notion computes (formula, rollup, created/edited, unique id…).
    #[error("{name} is a {kind} property and cannot be updated.")]
    ReadOnly { name: String, kind: String },
    /// A text content over Notion's limit.
    #[error("{field}.text.content.length should be ≤ `2000`, instead was `{len}`.")]
    TextTooLong { field: String, len: usize },
}

/// Property types whose values Notion computes: a write is refused.
pub const READ_ONLY: &[&str] = &[
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "verification",
    "button",
];

/// What Notion refuses in a property value sent through the API (`POST /v1/pages`,
/// `PATCH /v1/pages/{id}`), beyond the shapes [`input_value`] checks (fixtures may set
/// any value; clients may not): computed properties, status options that do not exist
/// (the API creates select and multi-select options, not status ones), text contents over
/// 2,000 characters, people and relations that are not lists of `{id}`.
pub fn check_api_input(def: &PropDef, v: &Value) -> Result<(), InputError> {
    let (name, kind) = (def.name.clone(), def.kind.clone());
    if READ_ONLY.contains(&kind.as_str()) {
        return Err(InputError::ReadOnly { name, kind });
    }
    let Some(inner) = v.get(&kind) else {
        return Ok(());
    };
    match kind.as_str() {
        "title" | "rich_text" => {
            for (i, it) in inner.as_array().into_iter().flatten().enumerate() {
                let len = it
                    .pointer("/text/content")
                    .and_then(Value::as_str)
                    .map_or(0, |c| c.chars().count());
                if len > 2000 {
                    return Err(InputError::TextTooLong {
                        field: format!("{name}.{kind}[{i}]"),
                        len,
                    });
                }
            }
        }
        "status" if inner.is_object() => {
            let given = |k: &str| inner.get(k).and_then(Value::as_str);
            if !def.options.iter().any(|o| {
                given("name") == Some(o.name.as_str()) || given("id") == Some(o.id.as_str())
            }) {
                return Err(InputError::NoSuchStatus {
                    prop: name,
                    got: given("name").or(given("id")).unwrap_or("").to_string(),
                });
            }
        }
        "people" | "relation" => match inner {
            Value::Array(items)
                if items
                    .iter()
                    .all(|i| i.get("id").is_some_and(Value::is_string)) => {}
            _ => {
                return Err(InputError::WrongShape {
                    field: format!("{name}.{kind}"),
                    expected: "an array of objects with an `id`",
                    got: inner.to_string(),
                });
            }
        },
        _ => {}
    }
    Ok(())
}

/// Properties of a page outside a data source.
pub fn title_props(title: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "title".into(),
        json!({"id": "title", "type": "title", "title": [rich_text(title)]}),
    );
    m
}

/// Fill absent schema properties with empty values.
pub fn fill_missing_props(ds: &DataSource, props: &mut Map<String, Value>) {
    for def in &ds.schema {
        if !props.contains_key(&def.name) {
            props.insert(def.name.clone(), empty_value(def));
        }
    }
}

/// The value of a property nobody has set.
pub fn empty_value(def: &PropDef) -> Value {
    let inner = match def.kind.as_str() {
        "title" | "rich_text" | "multi_select" | "people" | "files" | "relation" => json!([]),
        "checkbox" => json!(false),
        _ => Value::Null,
    };
    json!({"id": def.id, "type": def.kind, def.kind.clone(): inner})
}

/// Turn a fixture's simple value into an API input value.
pub fn simple_to_input(def: &PropDef, v: &Value) -> Value {
    match (def.kind.as_str(), v) {
        ("title" | "rich_text", Value::String(s)) => {
            json!({def.kind.clone(): [{"text": {"content": s}}]})
        }
        ("select" | "status", Value::String(s)) => json!({def.kind.clone(): {"name": s}}),
        ("relation", Value::Array(a)) => {
            let ids: Vec<Value> = a.iter().map(|id| json!({"id": id})).collect();
            json!({"relation": ids})
        }
        ("multi_select", Value::Array(a)) => {
            let opts: Vec<Value> = a.iter().map(|n| json!({"name": n})).collect();
            json!({"multi_select": opts})
        }
        ("date", Value::String(s)) => json!({"date": {"start": s}}),
        (k, v) => json!({k: v}),
    }
}

/// Normalise an API property value (`{"select": {"name": "Done"}}`, …) into Notion's full
/// property value shape, adding new select options to the schema as Notion does.
pub fn input_value(def: &mut PropDef, v: &Value) -> Result<Value, InputError> {
    let kind = def.kind.clone();
    let name = def.name.clone();
    let inner = match v.get(&kind) {
        Some(x) => x,
        None if kind == "title" && v.is_array() => v,
        None => {
            return Err(InputError::NotKeyedByType { name, kind });
        }
    };
    let bad = |expected| {
        Err(InputError::WrongShape {
            field: format!("{name}.{kind}"),
            expected,
            got: inner.to_string(),
        })
    };
    let out = match kind.as_str() {
        "title" | "rich_text" => normalize_rich_text(inner, &format!("{name}.{kind}"))?,
        "number" => match inner {
            Value::Number(_) | Value::Null => inner.clone(),
            _ => return bad("a number or `null`"),
        },
        "checkbox" => match inner {
            Value::Bool(_) => inner.clone(),
            _ => return bad("a boolean"),
        },
        "select" | "status" => match inner {
            Value::Null => Value::Null,
            Value::Object(_) => {
                let o = select_option(def, inner)?;
                json!({"id": o.id, "name": o.name, "color": o.color})
            }
            _ => return bad("an object or `null`"),
        },
        "multi_select" => match inner {
            Value::Array(items) => {
                let mut out = vec![];
                for it in items {
                    let o = select_option(def, it)?;
                    out.push(json!({"id": o.id, "name": o.name, "color": o.color}));
                }
                Value::Array(out)
            }
            _ => return bad("an array"),
        },
        "date" => match inner {
            Value::Null => Value::Null,
            Value::Object(o) if o.get("start").is_some_and(Value::is_string) => json!({
                "start": o["start"],
                "end": o.get("end").cloned().unwrap_or(Value::Null),
                "time_zone": o.get("time_zone").cloned().unwrap_or(Value::Null),
            }),
            _ => return bad("an object with a `start` string, or `null`"),
        },
        "url" | "email" | "phone_number" => match inner {
            Value::String(_) | Value::Null => inner.clone(),
            _ => return bad("a string or `null`"),
        },
        _ => inner.clone(),
    };
    Ok(json!({"id": def.id, "type": kind, kind.clone(): out}))
}

/// The schema option `v` names (by name or id), created if new.
fn select_option(def: &mut PropDef, v: &Value) -> Result<SelOpt, InputError> {
    let name = v.get("name").and_then(Value::as_str);
    let id = v.get("id").and_then(Value::as_str);
    if let Some(o) = def
        .options
        .iter()
        .find(|o| Some(o.name.as_str()) == name || Some(o.id.as_str()) == id)
    {
        return Ok(o.clone());
    }
    let Some(name) = name else {
        return Err(InputError::OptionWithoutName {
            prop: def.name.clone(),
            got: v.to_string(),
        });
    };
    if name.contains(',') {
        return Err(InputError::CommaInOptionName {
            prop: def.name.clone(),
        });
    }
    let o = SelOpt {
        id: format!("{}-o{}", def.id, def.options.len()),
        name: name.into(),
        color: v
            .get("color")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .into(),
    };
    def.options.push(o.clone());
    Ok(o)
}

/// Normalise a client-provided rich text array into full rich text objects; `field` names
/// it in error messages (`body.rich_text`, `Notes.rich_text`, …).
pub fn normalize_rich_text(v: &Value, field: &str) -> Result<Value, InputError> {
    let arr = v.as_array().ok_or_else(|| InputError::WrongShape {
        field: field.into(),
        expected: "an array",
        got: v.to_string(),
    })?;
    let mut out = Vec::with_capacity(arr.len());
    for item in arr {
        let content = if let Some(s) = item.pointer("/text/content").and_then(Value::as_str) {
            s.to_string()
        } else if let Some(s) = item.get("plain_text").and_then(Value::as_str) {
            s.to_string()
        } else if let Some(s) = item.as_str() {
            s.to_string()
        } else {
            return Err(InputError::NoTextContent {
                field: field.into(),
            });
        };
        let mut rt = rich_text(&content);
        if let Some(link) = item.pointer("/text/link")
            && !link.is_null()
        {
            rt["text"]["link"] = link.clone();
            rt["href"] = link.get("url").cloned().unwrap_or(Value::Null);
        }
        if let Some(ann) = item.get("annotations").and_then(Value::as_object) {
            for (k, val) in ann {
                rt["annotations"][k] = val.clone();
            }
        }
        out.push(rt);
    }
    Ok(Value::Array(out))
}
