//! Databases, data sources (with query) and search.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::{DataSource, Page};
use crate::render;
use crate::store::Shared;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::Value;
use std::cmp::Ordering;

pub async fn get_database(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "database_id")?;
    let s = st.store();
    let d = s
        .databases
        .get(&id)
        .filter(|d| d.ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("database", &id))?;
    Ok(Json(render::database_json(&s, d)))
}

pub async fn get_data_source(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "data_source_id")?;
    let s = st.store();
    let d = s
        .data_sources
        .get(&id)
        .filter(|d| d.ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("data source", &id))?;
    Ok(Json(render::data_source_json(&s, d)))
}

// ---------------------------------------------------------------------------
// Filters

#[derive(Debug)]
enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Prop {
        name: String,
        kind: String,
        op: String,
        val: Value,
    },
    Time {
        which: String,
        op: String,
        val: Value,
    },
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
const CHECKBOX_OPS: &[&str] = &["equals", "does_not_equal"];
const SELECT_OPS: &[&str] = &["equals", "does_not_equal", "is_empty", "is_not_empty"];
const MULTI_OPS: &[&str] = &["contains", "does_not_contain", "is_empty", "is_not_empty"];
const DATE_OPS: &[&str] = &[
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
];

fn verr(msg: String) -> ApiError {
    ApiError::validation(format!("body failed validation: {msg}"))
}

fn compile(f: &Value, ds: &DataSource, path: &str, depth: usize) -> ApiResult<Filter> {
    let obj = f.as_object().ok_or_else(|| {
        verr(format!(
            "{path} should be an object, instead was `{}`.",
            short(f)
        ))
    })?;
    for (key, is_and) in [("and", true), ("or", false)] {
        if let Some(list) = obj.get(key) {
            if depth >= 2 {
                return Err(verr(format!("{path} is nested too deeply (max 2 levels).")));
            }
            let arr = list
                .as_array()
                .ok_or_else(|| verr(format!("{path}.{key} should be an array.")))?;
            let parts = arr
                .iter()
                .enumerate()
                .map(|(i, x)| compile(x, ds, &format!("{path}.{key}[{i}]"), depth + 1))
                .collect::<ApiResult<Vec<_>>>()?;
            return Ok(if is_and {
                Filter::And(parts)
            } else {
                Filter::Or(parts)
            });
        }
    }
    let single = |cond: &Value, ops: &[&str], what: &str| -> ApiResult<(String, Value)> {
        let c = cond.as_object().filter(|c| c.len() == 1).ok_or_else(|| {
            verr(format!(
                "{path}.{what} should be an object with exactly one condition."
            ))
        })?;
        let (op, val) = c.iter().next().expect("one entry");
        if !ops.contains(&op.as_str()) {
            return Err(verr(format!(
                "{path}.{what}.{op} is not a valid condition; expected one of {}.",
                ops.join(", ")
            )));
        }
        Ok((op.clone(), val.clone()))
    };
    if let Some(ts) = obj.get("timestamp") {
        let which = ts
            .as_str()
            .filter(|t| *t == "created_time" || *t == "last_edited_time")
            .ok_or_else(|| {
                verr(format!(
                    "{path}.timestamp should be `created_time` or `last_edited_time`."
                ))
            })?;
        let cond = obj
            .get(which)
            .ok_or_else(|| verr(format!("{path}.{which} should be defined.")))?;
        let (op, val) = single(cond, DATE_OPS, which)?;
        return Ok(Filter::Time {
            which: which.into(),
            op,
            val,
        });
    }
    let name = obj.get("property").and_then(Value::as_str).ok_or_else(|| {
        verr(format!(
            "{path} should have `property`, `timestamp`, `and` or `or`."
        ))
    })?;
    let def = ds
        .schema
        .iter()
        .find(|d| d.name == name || d.id == name)
        .ok_or_else(|| {
            ApiError::validation(format!("Could not find property with name or id: {name}"))
        })?;
    let (ftype, cond) = obj
        .iter()
        .find(|(k, _)| k.as_str() != "property")
        .ok_or_else(|| verr(format!("{path} should have a `{}` condition.", def.kind)))?;
    let text = ["title", "rich_text", "url", "email", "phone_number"];
    let compatible = ftype == &def.kind
        || (text.contains(&ftype.as_str()) && text.contains(&def.kind.as_str()))
        || (ftype == "status" && def.kind == "select");
    if !compatible {
        return Err(verr(format!(
            "{path}: property `{name}` is of type `{}`, but the filter uses `{ftype}`.",
            def.kind
        )));
    }
    let ops = match def.kind.as_str() {
        "number" => NUMBER_OPS,
        "checkbox" => CHECKBOX_OPS,
        "select" | "status" => SELECT_OPS,
        "multi_select" => MULTI_OPS,
        "date" => DATE_OPS,
        _ => TEXT_OPS,
    };
    let (op, val) = single(cond, ops, ftype)?;
    let ok = match (def.kind.as_str(), op.as_str()) {
        (_, "is_empty" | "is_not_empty") => true,
        ("number", _) => val.is_number(),
        ("checkbox", _) => val.is_boolean(),
        _ => val.is_string(),
    };
    if !ok {
        return Err(verr(format!(
            "{path}.{ftype}.{op} has the wrong type: `{}`.",
            short(&val)
        )));
    }
    Ok(Filter::Prop {
        name: def.name.clone(),
        kind: def.kind.clone(),
        op,
        val,
    })
}

fn text_of(v: &Value, kind: &str) -> Option<String> {
    match kind {
        "title" | "rich_text" => Some(crate::util::plain_text(&v[kind])).filter(|s| !s.is_empty()),
        "select" | "status" => v[kind]["name"].as_str().map(str::to_string),
        "date" => v[kind]["start"].as_str().map(str::to_string),
        _ => v[kind].as_str().map(str::to_string),
    }
}

fn cmp_dates(a: &str, b: &str) -> Ordering {
    // Compare by the date prefix when one side has no time.
    if a.len() == 10 || b.len() == 10 {
        a[..a.len().min(10)].cmp(&b[..b.len().min(10)])
    } else {
        a.cmp(b)
    }
}

fn date_op(have: Option<&str>, op: &str, want: &Value) -> bool {
    match op {
        "is_empty" => return have.is_none(),
        "is_not_empty" => return have.is_some(),
        _ => {}
    }
    let (Some(h), Some(w)) = (have, want.as_str()) else {
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

fn eval(f: &Filter, p: &Page) -> bool {
    match f {
        Filter::And(v) => v.iter().all(|x| eval(x, p)),
        Filter::Or(v) => v.iter().any(|x| eval(x, p)),
        Filter::Time { which, op, val } => {
            let t = if which == "created_time" {
                &p.created_time
            } else {
                &p.last_edited_time
            };
            date_op(Some(t), op, val)
        }
        Filter::Prop {
            name,
            kind,
            op,
            val,
        } => {
            let v = p.props.get(name).cloned().unwrap_or(Value::Null);
            match kind.as_str() {
                "number" => {
                    let n = v["number"].as_f64();
                    let w = val.as_f64().unwrap_or(0.0);
                    match op.as_str() {
                        "is_empty" => n.is_none(),
                        "is_not_empty" => n.is_some(),
                        _ => n.is_some_and(|n| match op.as_str() {
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
                "checkbox" => {
                    let b = v["checkbox"].as_bool().unwrap_or(false);
                    let w = val.as_bool().unwrap_or(false);
                    if op == "equals" { b == w } else { b != w }
                }
                "multi_select" => {
                    let names: Vec<&str> = v["multi_select"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|o| o["name"].as_str()).collect())
                        .unwrap_or_default();
                    let w = val.as_str().unwrap_or("");
                    match op.as_str() {
                        "contains" => names.contains(&w),
                        "does_not_contain" => !names.contains(&w),
                        "is_empty" => names.is_empty(),
                        _ => !names.is_empty(),
                    }
                }
                "date" => date_op(text_of(&v, "date").as_deref(), op, val),
                _ => {
                    let have = text_of(&v, kind);
                    let w = val.as_str().unwrap_or("");
                    let h = have.clone().unwrap_or_default();
                    let (hl, wl) = (h.to_lowercase(), w.to_lowercase());
                    match op.as_str() {
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
    }
}

#[derive(Debug)]
enum SortKey {
    Prop(String, String),
    Time(String),
}

fn compile_sorts(v: &Value, ds: &DataSource) -> ApiResult<Vec<(SortKey, bool)>> {
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
            SortKey::Prop(def.name.clone(), def.kind.clone())
        } else if let Some(t) = s.get("timestamp").and_then(Value::as_str) {
            if t != "created_time" && t != "last_edited_time" {
                return Err(verr(format!(
                    "body.sorts[{i}].timestamp should be `created_time` or `last_edited_time`."
                )));
            }
            SortKey::Time(t.into())
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

fn sort_val(p: &Page, key: &SortKey) -> Option<SortVal> {
    match key {
        SortKey::Time(t) => Some(SortVal::Text(if t == "created_time" {
            p.created_time.clone()
        } else {
            p.last_edited_time.clone()
        })),
        SortKey::Prop(name, kind) => {
            let v = p.props.get(name)?;
            match kind.as_str() {
                "number" => v["number"].as_f64().map(SortVal::Num),
                "checkbox" => Some(SortVal::Num(if v["checkbox"] == Value::Bool(true) {
                    1.0
                } else {
                    0.0
                })),
                "multi_select" => v["multi_select"][0]["name"]
                    .as_str()
                    .map(|s| SortVal::Text(s.to_lowercase())),
                k => text_of(v, k).map(|s| SortVal::Text(s.to_lowercase())),
            }
        }
    }
}

pub async fn query(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "data_source_id")?;
    let req = PageReq::from_body(&b)?;
    let s = st.store();
    let ds = s
        .data_sources
        .get(&id)
        .filter(|d| d.ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("data source", &id))?;
    let filter = match b.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(compile(f, ds, "body.filter", 0)?),
    };
    let sorts = match b.get("sorts") {
        None | Some(Value::Null) => vec![],
        Some(v) => compile_sorts(v, ds)?,
    };
    let in_trash = b.get("in_trash").and_then(Value::as_bool).unwrap_or(false);
    let mut rows: Vec<&Page> = ds
        .rows
        .iter()
        .filter_map(|r| s.pages.get(r))
        .filter(|p| p.in_trash == in_trash)
        .filter(|p| filter.as_ref().is_none_or(|f| eval(f, p)))
        .collect();
    if !sorts.is_empty() {
        let keyed: Vec<(Vec<Option<SortVal>>, &Page)> = rows
            .iter()
            .map(|p| (sorts.iter().map(|(k, _)| sort_val(p, k)).collect(), *p))
            .collect();
        let mut keyed = keyed;
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
        rows = keyed.into_iter().map(|(_, p)| p).collect();
    }
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|i| s.pages.get(i))
        .map(render::page_json)
        .collect();
    Ok(Json(super::list(results, next, "page_or_data_source")))
}

// ---------------------------------------------------------------------------
// Search

pub async fn search(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let req = PageReq::from_body(&b)?;
    let query = match b.get("query") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(q)) => q.trim().to_lowercase(),
        Some(v) => {
            return Err(verr(format!(
                "body.query should be a string, instead was `{}`.",
                short(v)
            )));
        }
    };
    let object = match b.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => {
            if f.get("property").and_then(Value::as_str) != Some("object") {
                return Err(verr("body.filter.property should be `\"object\"`.".into()));
            }
            match f.get("value").and_then(Value::as_str) {
                Some(v @ ("page" | "data_source" | "database")) => Some(v.to_string()),
                _ => {
                    return Err(verr(
                        "body.filter.value should be `\"page\"` or `\"data_source\"`.".into(),
                    ));
                }
            }
        }
    };
    let ascending = match b.get("sort") {
        None | Some(Value::Null) => false,
        Some(s) => match s.get("direction").and_then(Value::as_str) {
            Some("ascending") => true,
            Some("descending") | None => false,
            Some(d) => {
                return Err(verr(format!(
                    "body.sort.direction should be `ascending` or `descending`, instead was `{d}`."
                )));
            }
        },
    };
    let s = st.store();
    let matches = |title: &str| query.is_empty() || title.to_lowercase().contains(&query);
    // (last_edited_time, order, id, kind)
    let mut items: Vec<(String, usize, String, u8)> = vec![];
    if object.as_deref().is_none_or(|o| o == "page") {
        for (i, id) in s.page_order.iter().enumerate() {
            if let Some(p) = s.pages.get(id)
                && p.ws == ctx.ws
                && !p.in_trash
                && matches(&p.title())
            {
                items.push((p.last_edited_time.clone(), i, id.clone(), 0));
            }
        }
    }
    let base = s.page_order.len();
    for (i, dbid) in s.database_order.iter().enumerate() {
        let Some(db) = s
            .databases
            .get(dbid)
            .filter(|d| d.ws == ctx.ws && !d.in_trash)
        else {
            continue;
        };
        match object.as_deref() {
            None | Some("data_source") => {
                for dsid in &db.data_sources {
                    if let Some(ds) = s.data_sources.get(dsid)
                        && matches(&ds.name)
                    {
                        items.push((ds.last_edited_time.clone(), base + i, dsid.clone(), 1));
                    }
                }
            }
            Some("database") if matches(&db.title) => {
                items.push((db.last_edited_time.clone(), base + i, dbid.clone(), 2));
            }
            _ => {}
        }
    }
    items.sort_by(|a, b| {
        let o = a.0.cmp(&b.0).then(a.1.cmp(&b.1));
        if ascending { o } else { o.reverse() }
    });
    let ids: Vec<String> = items.iter().map(|x| x.2.clone()).collect();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|id| {
            if let Some(p) = s.pages.get(id) {
                Some(render::page_json(p))
            } else if let Some(ds) = s.data_sources.get(id) {
                Some(render::data_source_json(&s, ds))
            } else {
                s.databases.get(id).map(|d| render::database_json(&s, d))
            }
        })
        .collect();
    Ok(Json(super::list(results, next, "page_or_data_source")))
}
