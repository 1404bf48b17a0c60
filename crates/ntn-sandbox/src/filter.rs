//! Data source query filters: Notion's filter JSON checked against a data source's schema
//! (with Notion's `validation_error`s for a wrong shape, condition or value) and evaluated
//! on a row.
//!
//! Supported, as Notion documents them:
//! * one condition `{"property": P, "<type>": {"<condition>": value}}` for the property
//!   types title, rich_text, url, email, phone_number (text conditions), number and
//!   unique_id, checkbox, select, status, multi_select, date, created_time,
//!   last_edited_time, people, created_by, last_edited_by, relation and files;
//! * timestamp conditions `{"timestamp": "created_time" | "last_edited_time", ...}`;
//! * compound `{"and": [...]}` / `{"or": [...]}` nested at most two levels deep.
//!
//! `is_empty` and `is_not_empty` take `true`; the relative date conditions (`past_week`,
//! `next_month`, `this_week`, …) take `{}` and are measured from the sandbox's clock.

use crate::api::short;
use crate::errors::{ApiError, ApiResult};
use crate::model::{DataSource, Page};
use serde_json::Value;
use std::cmp::Ordering;

/// How deep compound filters may nest: `{"and": [{"or": [condition]}]}` is two levels.
pub const MAX_DEPTH: usize = 2;

/// A compiled filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    /// A condition on a property (by its name in the schema) of a kind.
    Prop {
        name: String,
        family: Family,
        op: String,
        val: Value,
    },
    /// A condition on the page's own `created_time` or `last_edited_time`.
    Time {
        which: String,
        op: String,
        val: Value,
    },
}

/// The families of property types that share conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Text,
    Number,
    UniqueId,
    Checkbox,
    Select,
    MultiSelect,
    Date,
    People,
    Relation,
    Files,
}

const TEXT_OPS: &[&str] = &[
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
];
const NUMBER_OPS: &[&str] = &[
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
];
const UNIQUE_ID_OPS: &[&str] = &[
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
];
const CHECKBOX_OPS: &[&str] = &["equals", "does_not_equal"];
const SELECT_OPS: &[&str] = &["equals", "does_not_equal", "is_empty", "is_not_empty"];
const CONTAINS_OPS: &[&str] = &["contains", "does_not_contain", "is_empty", "is_not_empty"];
const FILES_OPS: &[&str] = &["is_empty", "is_not_empty"];
const DATE_OPS: &[&str] = &[
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
    "past_week",
    "past_month",
    "past_year",
    "this_week",
    "next_week",
    "next_month",
    "next_year",
];
const RELATIVE_DATE_OPS: &[&str] = &[
    "past_week",
    "past_month",
    "past_year",
    "this_week",
    "next_week",
    "next_month",
    "next_year",
];

const TEXT_KINDS: &[&str] = &["title", "rich_text", "url", "email", "phone_number"];

impl Family {
    /// The family of a property type, if it can be filtered.
    fn of(kind: &str) -> Option<Family> {
        Some(match kind {
            k if TEXT_KINDS.contains(&k) => Family::Text,
            "number" => Family::Number,
            "unique_id" => Family::UniqueId,
            "checkbox" => Family::Checkbox,
            "select" | "status" => Family::Select,
            "multi_select" => Family::MultiSelect,
            "date" | "created_time" | "last_edited_time" => Family::Date,
            "people" | "created_by" | "last_edited_by" => Family::People,
            "relation" => Family::Relation,
            "files" => Family::Files,
            _ => return None,
        })
    }

    fn ops(self) -> &'static [&'static str] {
        match self {
            Family::Text => TEXT_OPS,
            Family::Number => NUMBER_OPS,
            Family::UniqueId => UNIQUE_ID_OPS,
            Family::Checkbox => CHECKBOX_OPS,
            Family::Select => SELECT_OPS,
            Family::MultiSelect | Family::People | Family::Relation => CONTAINS_OPS,
            Family::Date => DATE_OPS,
            Family::Files => FILES_OPS,
        }
    }
}

fn verr(msg: String) -> ApiError {
    ApiError::validation(format!("body failed validation: {msg}"))
}

/// Compiles `body.filter` for a data source.
pub fn compile(f: &Value, ds: &DataSource) -> ApiResult<Filter> {
    compile_at(f, ds, "body.filter", 0)
}

fn compile_at(f: &Value, ds: &DataSource, path: &str, depth: usize) -> ApiResult<Filter> {
    let obj = f.as_object().ok_or_else(|| {
        verr(format!(
            "{path} should be an object, instead was `{}`.",
            short(f)
        ))
    })?;
    for (key, is_and) in [("and", true), ("or", false)] {
        let Some(list) = obj.get(key) else { continue };
        if depth >= MAX_DEPTH {
            return Err(verr(format!(
                "{path}.{key} is nested too deeply: compound filters nest at most {MAX_DEPTH} levels."
            )));
        }
        if obj.len() > 1 {
            return Err(verr(format!(
                "{path} should have only `{key}`, instead it also has other keys."
            )));
        }
        let arr = list.as_array().ok_or_else(|| {
            verr(format!(
                "{path}.{key} should be an array, instead was `{}`.",
                short(list)
            ))
        })?;
        let parts = arr
            .iter()
            .enumerate()
            .map(|(i, x)| compile_at(x, ds, &format!("{path}.{key}[{i}]"), depth + 1))
            .collect::<ApiResult<Vec<_>>>()?;
        return Ok(if is_and {
            Filter::And(parts)
        } else {
            Filter::Or(parts)
        });
    }
    if let Some(ts) = obj.get("timestamp") {
        let which = ts
            .as_str()
            .filter(|t| *t == "created_time" || *t == "last_edited_time")
            .ok_or_else(|| {
                verr(format!(
                    "{path}.timestamp should be `\"created_time\"` or `\"last_edited_time\"`, instead was `{}`.",
                    short(ts)
                ))
            })?;
        let cond = obj.get(which).ok_or_else(|| {
            verr(format!(
                "{path}.{which} should be defined, instead was `undefined`."
            ))
        })?;
        let (op, val) = condition(cond, Family::Date, &format!("{path}.{which}"))?;
        return Ok(Filter::Time {
            which: which.into(),
            op,
            val,
        });
    }
    let name = match obj.get("property") {
        Some(Value::String(n)) => n,
        Some(v) => {
            return Err(verr(format!(
                "{path}.property should be a string, instead was `{}`.",
                short(v)
            )));
        }
        None => {
            return Err(verr(format!(
                "{path} should have `property`, `timestamp`, `and` or `or`, instead was `{}`.",
                short(f)
            )));
        }
    };
    let def = ds
        .schema
        .iter()
        .find(|d| &d.name == name || &d.id == name)
        .ok_or_else(|| {
            ApiError::validation(format!("Could not find property with name or id: {name}"))
        })?;
    let family = Family::of(&def.kind).ok_or_else(|| {
        verr(format!(
            "{path}: filtering on `{}` properties is not supported.",
            def.kind
        ))
    })?;
    let mut keys = obj.keys().filter(|k| k.as_str() != "property");
    let ftype = keys.next().ok_or_else(|| {
        verr(format!(
            "{path}.{} should be defined, instead was `undefined`.",
            def.kind
        ))
    })?;
    if let Some(extra) = keys.next() {
        return Err(verr(format!(
            "{path} should have one condition type, instead has `{ftype}` and `{extra}`."
        )));
    }
    let compatible = ftype == &def.kind
        || (TEXT_KINDS.contains(&ftype.as_str()) && family == Family::Text)
        || (ftype == "status" && def.kind == "select");
    if !compatible {
        return Err(verr(format!(
            "{path}.{ftype} does not match the type of property `{}`: it is a `{}` property, so the filter should use `{}`.",
            def.name, def.kind, def.kind
        )));
    }
    let (op, val) = condition(&obj[ftype.as_str()], family, &format!("{path}.{ftype}"))?;
    Ok(Filter::Prop {
        name: def.name.clone(),
        family,
        op,
        val,
    })
}

/// Checks `{"<condition>": value}` for a family: one known condition, a value of its type.
fn condition(cond: &Value, family: Family, path: &str) -> ApiResult<(String, Value)> {
    let c = cond.as_object().ok_or_else(|| {
        verr(format!(
            "{path} should be an object, instead was `{}`.",
            short(cond)
        ))
    })?;
    if c.len() != 1 {
        return Err(verr(format!(
            "{path} should have exactly one condition, instead has {}.",
            c.len()
        )));
    }
    let (op, val) = c.iter().next().expect("one entry");
    let ops = family.ops();
    if !ops.contains(&op.as_str()) {
        return Err(verr(format!(
            "{path}.{op} is not a valid condition here; expected one of {}.",
            ops.join(", ")
        )));
    }
    let expected = match (family, op.as_str()) {
        (_, "is_empty" | "is_not_empty") => {
            (val == &Value::Bool(true)).then_some(()).ok_or("`true`")
        }
        (Family::Date, o) if RELATIVE_DATE_OPS.contains(&o) => val
            .as_object()
            .filter(|o| o.is_empty())
            .map(|_| ())
            .ok_or("an empty object `{}`"),
        (Family::Date, _) => val
            .as_str()
            .filter(|s| parse_date(s).is_some())
            .map(|_| ())
            .ok_or("an ISO 8601 date string"),
        (Family::Number | Family::UniqueId, _) => val.is_number().then_some(()).ok_or("a number"),
        (Family::Checkbox, _) => val.is_boolean().then_some(()).ok_or("a boolean"),
        (Family::People | Family::Relation, _) => val
            .as_str()
            .filter(|s| crate::util::normalize_id(s).is_some())
            .map(|_| ())
            .ok_or("a UUID string"),
        _ => val.is_string().then_some(()).ok_or("a string"),
    };
    if let Err(what) = expected {
        return Err(verr(format!(
            "{path}.{op} should be {what}, instead was `{}`.",
            short(val)
        )));
    }
    Ok((op.clone(), val.clone()))
}

/// A date or date-time: (unix ms, whether it has a time).
pub fn parse_date(s: &str) -> Option<(i64, bool)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    if b.len() == 10 {
        return Some((days * 86_400_000, false));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let mut rest = &s[16..];
    let mut sec = 0;
    let mut ms = 0;
    if let Some(r) = rest.strip_prefix(':') {
        sec = r.get(0..2)?.parse::<i64>().ok()?;
        rest = &r[2..];
        if let Some(f) = rest.strip_prefix('.') {
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            let digits = format!("{:0<3}", &f[..n.min(3)]);
            ms = digits.parse::<i64>().ok()?;
            rest = &f[n..];
        }
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        o if o.len() == 6 && matches!(&o[..1], "+" | "-") && &o[3..4] == ":" => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 60 + o[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    Some((secs * 1000 + ms, true))
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Compares two dates; when either has no time, only the (UTC) days count.
fn cmp_dates(a: (i64, bool), b: (i64, bool)) -> Ordering {
    if !a.1 || !b.1 {
        a.0.div_euclid(86_400_000).cmp(&b.0.div_euclid(86_400_000))
    } else {
        a.0.cmp(&b.0)
    }
}

const DAY_MS: i64 = 86_400_000;

fn date_op(have: Option<&str>, op: &str, want: &Value, now_ms: i64) -> bool {
    let have = have.and_then(parse_date);
    match op {
        "is_empty" => return have.is_none(),
        "is_not_empty" => return have.is_some(),
        _ => {}
    }
    let Some(h) = have else { return false };
    let today = now_ms.div_euclid(DAY_MS);
    let day = h.0.div_euclid(DAY_MS);
    let within = |from: i64, to: i64| (from..=to).contains(&day);
    match op {
        "past_week" => return within(today - 7, today),
        "past_month" => return within(today - 30, today),
        "past_year" => return within(today - 365, today),
        "next_week" => return within(today, today + 7),
        "next_month" => return within(today, today + 30),
        "next_year" => return within(today, today + 365),
        "this_week" => {
            // Weeks start on Monday; 1970-01-01 was a Thursday.
            let monday = today - (today + 3).rem_euclid(7);
            return within(monday, monday + 6);
        }
        _ => {}
    }
    let Some(w) = want.as_str().and_then(parse_date) else {
        return false;
    };
    let o = cmp_dates(h, w);
    match op {
        "equals" => o == Ordering::Equal,
        "before" => o == Ordering::Less,
        "after" => o == Ordering::Greater,
        "on_or_before" => o != Ordering::Greater,
        "on_or_after" => o != Ordering::Less,
        _ => false,
    }
}

/// The text of a title, rich text, url, email or phone number value (`None` when empty).
pub fn text_of(v: &Value) -> Option<String> {
    let kind = v.get("type").and_then(Value::as_str)?;
    let s = match kind {
        "title" | "rich_text" => crate::util::plain_text(&v[kind]),
        _ => v[kind].as_str()?.to_string(),
    };
    (!s.is_empty()).then_some(s)
}

/// The ids (people, relation) or names (multi-select, files) in a list value.
fn list_of(v: &Value, key: &str) -> Vec<String> {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    v[kind]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o[key].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether page `p` matches; relative dates are measured from `now_ms`.
pub fn eval(f: &Filter, p: &Page, now_ms: i64) -> bool {
    match f {
        Filter::And(v) => v.iter().all(|x| eval(x, p, now_ms)),
        Filter::Or(v) => v.iter().any(|x| eval(x, p, now_ms)),
        Filter::Time { which, op, val } => {
            let t = if which == "created_time" {
                &p.created_time
            } else {
                &p.last_edited_time
            };
            date_op(Some(t), op, val, now_ms)
        }
        Filter::Prop {
            name,
            family,
            op,
            val,
        } => {
            let v = p.props.get(name).cloned().unwrap_or(Value::Null);
            eval_prop(&v, *family, op, val, p, now_ms)
        }
    }
}

fn eval_prop(v: &Value, family: Family, op: &str, val: &Value, p: &Page, now_ms: i64) -> bool {
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    match family {
        Family::Number | Family::UniqueId => {
            let n = if family == Family::UniqueId {
                v[kind]["number"].as_f64()
            } else {
                v[kind].as_f64()
            };
            let w = val.as_f64().unwrap_or(0.0);
            match op {
                "is_empty" => n.is_none(),
                "is_not_empty" => n.is_some(),
                _ => n.is_some_and(|n| match op {
                    "equals" => n == w,
                    "does_not_equal" => n != w,
                    "greater_than" => n > w,
                    "less_than" => n < w,
                    "greater_than_or_equal_to" => n >= w,
                    "less_than_or_equal_to" => n <= w,
                    _ => false,
                }),
            }
        }
        Family::Checkbox => {
            let b = v["checkbox"].as_bool().unwrap_or(false);
            let w = val.as_bool().unwrap_or(false);
            if op == "equals" { b == w } else { b != w }
        }
        Family::Select => {
            let have = v[kind]["name"].as_str();
            let w = val.as_str().unwrap_or("");
            match op {
                "equals" => have == Some(w),
                "does_not_equal" => have != Some(w),
                "is_empty" => have.is_none(),
                _ => have.is_some(),
            }
        }
        Family::MultiSelect | Family::People | Family::Relation | Family::Files => {
            let key = match family {
                Family::MultiSelect | Family::Files => "name",
                _ => "id",
            };
            let items = match kind {
                "created_by" | "last_edited_by" => v[kind]["id"]
                    .as_str()
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default(),
                _ => list_of(v, key),
            };
            let w = match family {
                Family::MultiSelect => val.as_str().unwrap_or("").to_string(),
                _ => val
                    .as_str()
                    .and_then(crate::util::normalize_id)
                    .unwrap_or_default(),
            };
            let has = items.iter().any(|i| match family {
                Family::MultiSelect => *i == w,
                _ => crate::util::normalize_id(i).is_some_and(|i| i == w),
            });
            match op {
                "contains" => has,
                "does_not_contain" => !has,
                "is_empty" => items.is_empty(),
                _ => !items.is_empty(),
            }
        }
        Family::Date => {
            let have = match kind {
                "created_time" => Some(p.created_time.clone()),
                "last_edited_time" => Some(p.last_edited_time.clone()),
                _ => v["date"]["start"].as_str().map(str::to_string),
            };
            date_op(have.as_deref(), op, val, now_ms)
        }
        Family::Text => {
            let have = text_of(v);
            let w = val.as_str().unwrap_or("");
            let h = have.clone().unwrap_or_default();
            let (hl, wl) = (h.to_lowercase(), w.to_lowercase());
            match op {
                "equals" => h == w,
                "does_not_equal" => h != w,
                "contains" => hl.contains(&wl),
                "does_not_contain" => !hl.contains(&wl),
                "starts_with" => hl.starts_with(&wl),
                "ends_with" => hl.ends_with(&wl),
                "is_empty" => have.is_none(),
                _ => have.is_some(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_with_and_without_time() {
        assert_eq!(parse_date("1970-01-02"), Some((86_400_000, false)));
        assert_eq!(parse_date("1970-01-01T01:00:00Z"), Some((3_600_000, true)));
        assert_eq!(
            parse_date("1970-01-01T02:00:00+01:00"),
            Some((3_600_000, true))
        );
        assert_eq!(parse_date("1970-01-01T00:00:00.250Z"), Some((250, true)));
        for bad in [
            "",
            "1970-13-01",
            "tomorrow",
            "1970-01-01T",
            "1970-01-01T00:00:00+1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let d = |s| parse_date(s).unwrap();
        assert_eq!(
            cmp_dates(d("2025-01-02"), d("2025-01-02T23:00:00Z")),
            Ordering::Equal
        );
        assert_eq!(
            cmp_dates(d("2025-01-02T01:00:00Z"), d("2025-01-02T02:00:00+02:00")),
            Ordering::Greater
        );
    }
}
