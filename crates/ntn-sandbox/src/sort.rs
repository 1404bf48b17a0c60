//! Data source query sorts: `[{"property": P, "direction"}, {"timestamp": T, "direction"}]`
//! checked against the schema (Notion's `validation_error`s) and applied to rows. Rows
//! without a value sort last in either direction; ties keep the data source's order.

use crate::api::short;
use crate::errors::{ApiError, ApiResult};
use crate::filter::{parse_date, text_of};
use crate::model::{DataSource, Page};
use serde_json::Value;
use std::cmp::Ordering;

/// What a sort orders by.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A property, by its name in the schema, and its type.
    Prop(String, String),
    /// `created_time` or `last_edited_time`.
    Time(String),
}

/// A compiled sort: its key and whether it is descending.
pub type Sort = (Key, bool);

fn verr(msg: String) -> ApiError {
    ApiError::validation(format!("body failed validation: {msg}"))
}

/// Compiles `body.sorts`.
pub fn compile(v: &Value, ds: &DataSource) -> ApiResult<Vec<Sort>> {
    let arr = v.as_array().ok_or_else(|| {
        verr(format!(
            "body.sorts should be an array, instead was `{}`.",
            short(v)
        ))
    })?;
    let mut out = vec![];
    for (i, s) in arr.iter().enumerate() {
        let desc = match s.get("direction").and_then(Value::as_str) {
            Some("ascending") | None => false,
            Some("descending") => true,
            Some(d) => {
                return Err(verr(format!(
                    "body.sorts[{i}].direction should be `ascending` or `descending`, instead was `{d}`."
                )));
            }
        };
        let key = if let Some(p) = s.get("property").and_then(Value::as_str) {
            let def = ds
                .schema
                .iter()
                .find(|d| d.name == p || d.id == p)
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "Could not find sort property with name or id: {p}"
                    ))
                })?;
            Key::Prop(def.name.clone(), def.kind.clone())
        } else if let Some(t) = s.get("timestamp").and_then(Value::as_str) {
            if t != "created_time" && t != "last_edited_time" {
                return Err(verr(format!(
                    "body.sorts[{i}].timestamp should be `created_time` or `last_edited_time`, instead was `{t}`."
                )));
            }
            Key::Time(t.into())
        } else {
            return Err(verr(format!(
                "body.sorts[{i}] should have `property` or `timestamp`."
            )));
        };
        out.push((key, desc));
    }
    Ok(out)
}

#[derive(PartialEq, PartialOrd)]
enum SortVal {
    Num(f64),
    Text(String),
}

fn time_val(t: &str) -> SortVal {
    match parse_date(t) {
        Some((ms, _)) => SortVal::Num(ms as f64),
        None => SortVal::Text(t.to_string()),
    }
}

fn sort_val(p: &Page, key: &Key) -> Option<SortVal> {
    match key {
        Key::Time(t) => Some(time_val(if t == "created_time" {
            &p.created_time
        } else {
            &p.last_edited_time
        })),
        Key::Prop(name, kind) => {
            let v = p.props.get(name)?;
            let lower = |s: &str| SortVal::Text(s.to_lowercase());
            match kind.as_str() {
                "number" => v["number"].as_f64().map(SortVal::Num),
                "unique_id" => v["unique_id"]["number"].as_f64().map(SortVal::Num),
                "checkbox" => Some(SortVal::Num(if v["checkbox"] == Value::Bool(true) {
                    1.0
                } else {
                    0.0
                })),
                "select" | "status" => v[kind.as_str()]["name"].as_str().map(lower),
                "multi_select" => v["multi_select"][0]["name"].as_str().map(lower),
                "people" => v["people"][0]["name"]
                    .as_str()
                    .or(v["people"][0]["id"].as_str())
                    .map(lower),
                "relation" => v["relation"][0]["id"].as_str().map(lower),
                "date" => v["date"]["start"].as_str().map(time_val),
                "created_time" => Some(time_val(&p.created_time)),
                "last_edited_time" => Some(time_val(&p.last_edited_time)),
                _ => text_of(v).map(|s| lower(&s)),
            }
        }
    }
}

/// Sorts `rows` (stable: ties keep their order).
pub fn apply(rows: &mut Vec<&Page>, sorts: &[Sort]) {
    if sorts.is_empty() {
        return;
    }
    let mut keyed: Vec<(Vec<Option<SortVal>>, &Page)> = rows
        .iter()
        .map(|p| (sorts.iter().map(|(k, _)| sort_val(p, k)).collect(), *p))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        for (i, (_, desc)) in sorts.iter().enumerate() {
            let o = match (&a[i], &b[i]) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(y).unwrap_or(Ordering::Equal);
                    if *desc { o.reverse() } else { o }
                }
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    *rows = keyed.into_iter().map(|(_, p)| p).collect();
}
