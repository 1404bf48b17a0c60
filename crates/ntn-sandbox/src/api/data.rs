//! Databases, data sources (with query: filters in [`crate::filter`], sorts in
//! [`crate::sort`]) and search.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::Page;
use crate::store::{SearchIndex, Shared, Store, remember};
use crate::{filter, render, sort};
use axum::Json;
use axum::extract::{Extension, RawQuery, State};
use serde_json::{Value, json};

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

/// The `filter_properties` of a query string (repeatable), decoded.
fn filter_properties(raw: Option<&str>) -> ApiResult<Vec<String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::invalid_url(format!("Invalid query string: {e}")))?;
    Ok(pairs
        .into_iter()
        .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
        .map(|(_, v)| v)
        .collect())
}

/// `POST /v1/data_sources/{id}/query`: filter ([`crate::filter`]), sorts
/// ([`crate::sort`]), `filter_properties`, pagination, and `request_status` incomplete
/// past the `--query-limit` row cap (`has_more` false there, as Notion answers).
pub async fn query(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    RawQuery(raw): RawQuery,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "data_source_id")?;
    let req = PageReq::from_body(&b)?;
    let wanted = filter_properties(raw.as_deref())?;
    let now = st.now_ms();
    let mut s = st.store();
    let index = query_index(&st, &mut s, &ctx.ws, &id, &b, now)?;
    let ds = s
        .data_sources
        .get(&id)
        .ok_or_else(|| ApiError::object_not_found("data source", &id))?;
    let keep: Option<Vec<String>> = if wanted.is_empty() {
        None
    } else {
        let mut names = vec![];
        for w in &wanted {
            let def = ds
                .schema
                .iter()
                .find(|d| &d.id == w || &d.name == w)
                .ok_or_else(|| {
                    ApiError::validation(format!("Could not find property with name or id: {w}"))
                })?;
            names.push(def.name.clone());
        }
        Some(names)
    };
    // Past the cap, Notion answers as if the first `cap` rows were all there are.
    let cap = st
        .cfg
        .query_limit
        .unwrap_or(usize::MAX)
        .min(index.ids.len());
    let incomplete = cap < index.ids.len();
    let start = match &req.cursor {
        None => 0,
        Some(c) => *index.position.get(c).filter(|i| **i < cap).ok_or_else(|| {
            ApiError::validation(format!(
                "start_cursor `{c}` is not a valid cursor for this request."
            ))
        })?,
    };
    let end = (start + req.size).min(cap);
    let next = if end < cap {
        index.ids.get(end).cloned()
    } else {
        None
    };
    let results = index.ids[start..end]
        .iter()
        .filter_map(|i| s.pages.get(i))
        .map(|p| {
            let mut v = render::page_json(p);
            if let (Some(keep), Some(props)) = (&keep, v["properties"].as_object_mut()) {
                props.retain(|name, _| keep.contains(name));
            }
            v
        })
        .collect();
    let mut answer = super::list(results, next, "page_or_data_source");
    answer["request_status"] = if incomplete {
        json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"})
    } else {
        json!({"type": "complete"})
    };
    Ok(Json(answer))
}

/// The rows a query matches, in order, from the store's cache while nothing changed since
/// they were computed (as [`search_index`]): paging through N rows costs O(page) per
/// request, not a filter and sort of every row each time. Checks the data source, the
/// filter and the sorts first (Notion's errors).
fn query_index(
    st: &Shared,
    s: &mut Store,
    ws: &str,
    id: &str,
    b: &Value,
    now: i64,
) -> ApiResult<SearchIndex> {
    let ds = s
        .data_sources
        .get(id)
        .filter(|d| d.ws == ws)
        .ok_or_else(|| ApiError::object_not_found("data source", id))?;
    let filter = match b.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(filter::compile(f, ds)?),
    };
    let sorts = match b.get("sorts") {
        None | Some(Value::Null) => vec![],
        Some(v) => sort::compile(v, ds)?,
    };
    let in_trash = b.get("in_trash").and_then(Value::as_bool).unwrap_or(false);
    let key = (
        ws.to_string(),
        id.to_string(),
        b.get("filter").map(Value::to_string).unwrap_or_default(),
        b.get("sorts").map(Value::to_string).unwrap_or_default(),
        in_trash,
        now.div_euclid(60_000),
    );
    let generation = st.current_generation();
    if let Some(hit) = s
        .query_cache
        .get(&key)
        .filter(|c| c.generation == generation)
    {
        return Ok(hit.clone());
    }
    let mut rows: Vec<&Page> = ds
        .rows
        .iter()
        .filter_map(|r| s.pages.get(r))
        .filter(|p| p.in_trash == in_trash)
        .filter(|p| filter.as_ref().is_none_or(|f| filter::eval(f, p, now)))
        .collect();
    sort::apply(&mut rows, &sorts);
    let index = SearchIndex::new(generation, rows.iter().map(|p| p.id.clone()).collect());
    remember(&mut s.query_cache, key, &index);
    Ok(index)
}

// ---------------------------------------------------------------------------
// Search

/// The ordered results of a search, from the store's cache while nothing changed since
/// they were computed ([`crate::store::AppState::generation`]): paging through N results
/// costs O(page) per request, not a sort of everything each time.
fn search_index(
    st: &Shared,
    s: &mut Store,
    ws: &str,
    query: &str,
    object: Option<&str>,
    ascending: bool,
) -> SearchIndex {
    let generation = st.current_generation();
    let key = (
        ws.to_string(),
        query.to_string(),
        object.map(str::to_string),
        ascending,
    );
    if let Some(hit) = s
        .search_cache
        .get(&key)
        .filter(|c| c.generation == generation)
    {
        return hit.clone();
    }
    let matches = |title: &str| query.is_empty() || title.to_lowercase().contains(query);
    // (last_edited_time, order, id)
    let mut items: Vec<(&str, usize, &str)> = vec![];
    if object.is_none_or(|o| o == "page") {
        for (i, id) in s.page_order.iter().enumerate() {
            if let Some(p) = s.pages.get(id)
                && p.ws == ws
                && !p.in_trash
                && (query.is_empty() || matches(&p.title()))
            {
                items.push((&p.last_edited_time, i, id));
            }
        }
    }
    let base = s.page_order.len();
    for (i, dbid) in s.database_order.iter().enumerate() {
        let Some(db) = s.databases.get(dbid).filter(|d| d.ws == ws && !d.in_trash) else {
            continue;
        };
        match object {
            None | Some("data_source") => {
                for dsid in &db.data_sources {
                    if let Some(ds) = s.data_sources.get(dsid)
                        && matches(&ds.name)
                    {
                        items.push((&ds.last_edited_time, base + i, dsid));
                    }
                }
            }
            Some("database") if matches(&db.title) => {
                items.push((&db.last_edited_time, base + i, dbid));
            }
            _ => {}
        }
    }
    items.sort_unstable_by(|a, b| {
        let o = a.0.cmp(b.0).then(a.1.cmp(&b.1));
        if ascending { o } else { o.reverse() }
    });
    let index = SearchIndex::new(generation, items.iter().map(|x| x.2.to_string()).collect());
    remember(&mut s.search_cache, key, &index);
    index
}

/// [`PageReq::window`] over a search index: the cursor is found by its position.
fn window<'a>(req: &PageReq, index: &'a SearchIndex) -> ApiResult<(&'a [String], Option<String>)> {
    let start = match &req.cursor {
        None => 0,
        Some(c) => *index.position.get(c).ok_or_else(|| {
            ApiError::validation(format!(
                "start_cursor `{c}` is not a valid cursor for this request."
            ))
        })?,
    };
    let end = (start + req.size).min(index.ids.len());
    Ok((&index.ids[start..end], index.ids.get(end).cloned()))
}

fn verr(msg: String) -> ApiError {
    ApiError::validation(format!("body failed validation: {msg}"))
}

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
    let mut s = st.store();
    let index = search_index(&st, &mut s, &ctx.ws, &query, object.as_deref(), ascending);
    let (win, next) = window(&req, &index)?;
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
