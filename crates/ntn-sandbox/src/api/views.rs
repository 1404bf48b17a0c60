//! `/v1/views`: a database's views listed (by `database_id` or `data_source_id`) and one
//! view by id, in the shapes of `@notionhq/client` 5.26 (`ListDatabaseViewsResponse`,
//! `DataSourceViewObjectResponse`). Views of a database in another workspace, or of one not
//! shared with the integration, are not found. View queries (`POST /v1/views/{id}/queries`)
//! are not served.

use super::{Ctx, PageReq, parse_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{PathParam, QueryMap};
use crate::model::View;
use crate::render;
use crate::store::{Shared, Store};
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Value, json};

/// The view as `GET /v1/views/{id}` answers it.
pub fn view_json(v: &View) -> Value {
    json!({
        "object": "view",
        "id": v.id,
        "parent": {"type": "database_id", "database_id": v.database_id},
        "name": v.name,
        "type": v.kind,
        "created_time": v.created_time,
        "last_edited_time": v.created_time,
        "url": format!(
            "https://www.notion.so/{}?v={}",
            v.database_id.replace('-', ""),
            v.id.replace('-', "")
        ),
        "data_source_id": v.data_source_id,
        "created_by": render::user_ref(&v.created_by),
        "last_edited_by": render::user_ref(&v.created_by),
        "filter": v.filter,
        "sorts": v.sorts,
        "configuration": v.configuration,
    })
}

/// Whether the caller sees database `db` (its workspace, shared).
fn visible(s: &Store, ctx: &Ctx, db: &str) -> bool {
    s.databases
        .get(db)
        .is_some_and(|d| d.ws == ctx.ws && !d.in_trash && !s.unshared.contains(db))
}

/// `GET /v1/views?database_id=ID|data_source_id=ID`: references `{object: "view", id}`,
/// paginated (`page_size` ≤ 100).
pub async fn list(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let db = q.get("database_id").filter(|v| !v.is_empty());
    let ds = q.get("data_source_id").filter(|v| !v.is_empty());
    let req = PageReq::from_query(&q)?;
    let s = st.store();
    let ids: Vec<String> = match (db, ds) {
        (Some(db), None) => {
            let db = query_id(db, "database_id")?;
            if !visible(&s, &ctx, &db) {
                return Err(ApiError::object_not_found("database", &db));
            }
            s.views
                .iter()
                .filter(|v| v.database_id == db)
                .map(|v| v.id.clone())
                .collect()
        }
        (None, Some(ds)) => {
            let ds = query_id(ds, "data_source_id")?;
            let found = s
                .data_sources
                .get(&ds)
                .filter(|d| visible(&s, &ctx, &d.database_id));
            if found.is_none() {
                return Err(ApiError::object_not_found("data source", &ds));
            }
            s.views
                .iter()
                .filter(|v| v.data_source_id == ds)
                .map(|v| v.id.clone())
                .collect()
        }
        _ => {
            return Err(ApiError::validation(
                "Exactly one of database_id or data_source_id should be provided.",
            ));
        }
    };
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .map(|id| json!({"object": "view", "id": id}))
        .collect();
    Ok(Json(super::list(results, next, "view")))
}

fn query_id(raw: &str, what: &str) -> ApiResult<String> {
    crate::util::normalize_id(raw).ok_or_else(|| {
        ApiError::validation(format!(
            "query failed validation: query.{what} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    })
}

/// `GET /v1/views/{view_id}`: the view object.
pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "view_id")?;
    let s = st.store();
    let v = s
        .views
        .iter()
        .find(|v| v.id == id)
        .filter(|v| visible(&s, &ctx, &v.database_id))
        .ok_or_else(|| ApiError::object_not_found("view", &id))?;
    Ok(Json(view_json(v)))
}
