//! Comments.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, QueryMap};
use crate::model::Comment;
use crate::props::normalize_rich_text;
use crate::render;
use crate::store::Shared;
use crate::util;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::Value;

pub async fn list(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let raw = q.get("block_id").ok_or_else(|| {
        ApiError::validation(
            "query failed validation: block_id should be defined, instead was `undefined`.",
        )
    })?;
    let id = parse_id(raw, "block_id")?;
    let req = PageReq::from_query(&q)?;
    let s = st.store();
    let visible = s.pages.get(&id).is_some_and(|p| p.ws == ctx.ws)
        || s.blocks.get(&id).is_some_and(|b| b.ws == ctx.ws);
    if !visible {
        return Err(ApiError::object_not_found("block", &id));
    }
    let ids: Vec<String> = s
        .comments
        .iter()
        .filter(|c| c.page_id == id)
        .map(|c| c.id.clone())
        .collect();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|i| s.comments.iter().find(|c| &c.id == i))
        .map(render::comment_json)
        .collect();
    Ok(Json(super::list(results, next, "comment")))
}

pub async fn create(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let rt = b.get("rich_text").ok_or_else(|| {
        ApiError::validation(
            "body failed validation: body.rich_text should be defined, instead was `undefined`.",
        )
    })?;
    let rich_text = normalize_rich_text(rt, "body.rich_text")
        .map_err(|e| ApiError::validation(format!("body failed validation: {e}")))?;
    let mut s = st.store();
    let (page_id, discussion_id) = if let Some(p) = b.get("parent") {
        let raw = p.get("page_id").and_then(Value::as_str).ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: body.parent.page_id should be a string, instead was `{}`.",
                short(p)
            ))
        })?;
        let id = parse_id(raw, "parent.page_id")?;
        if s.pages.get(&id).is_none_or(|p| p.ws != ctx.ws) {
            return Err(ApiError::object_not_found("page", &id));
        }
        (id, util::new_id())
    } else if let Some(d) = b.get("discussion_id").and_then(Value::as_str) {
        let did = parse_id(d, "discussion_id")?;
        let c = s
            .comments
            .iter()
            .find(|c| c.discussion_id == did && c.ws == ctx.ws)
            .ok_or_else(|| ApiError::object_not_found("discussion", &did))?;
        (c.page_id.clone(), did)
    } else {
        return Err(ApiError::validation(
            "body failed validation: body should have `parent.page_id` or `discussion_id`.",
        ));
    };
    let c = Comment {
        id: util::new_id(),
        ws: ctx.ws.clone(),
        page_id,
        discussion_id,
        created_time: s.now(),
        author_id: ctx.bot_id.clone(),
        rich_text,
    };
    let out = render::comment_json(&c);
    s.comments.push(c);
    Ok(Json(out))
}
