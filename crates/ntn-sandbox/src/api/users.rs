//! `/v1/users`: the token's bot, the workspace's users (guests left out of the list, as
//! Notion does) and one user by id (guests too).

use super::{Ctx, PageReq, parse_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{PathParam, QueryMap};
use crate::model::Role;
use crate::render;
use crate::store::Shared;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::Value;

pub async fn me(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
) -> ApiResult<Json<Value>> {
    let s = st.store();
    let t = s
        .valid_token(&ctx.token)
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(render::bot_json(&s, t)))
}

/// The workspace's users without its guests: Notion leaves them out of the list ("Guests
/// are not included in the response", developers.notion.com/reference/get-users); they are
/// still read by id ([`get`]).
pub fn list_users(st: &Shared, ctx: &Ctx, req: &PageReq) -> ApiResult<Value> {
    let s = st.store();
    let ws = s.workspace(&ctx.ws).ok_or_else(ApiError::unauthorized)?;
    let ids: Vec<String> = ws
        .members
        .iter()
        .filter(|(_, role)| *role != Role::Guest)
        .map(|(u, _)| u.clone())
        .collect();
    let (win, next) = req.window(&ids)?;
    let results = win.iter().map(|id| render::person_json(&s, id)).collect();
    Ok(super::list(results, next, "user"))
}

pub async fn list(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let req = PageReq::from_query(&q)?;
    Ok(Json(list_users(&st, &ctx, &req)?))
}

pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "user_id")?;
    let s = st.store();
    if s.role(&id, &ctx.ws).is_some() {
        return Ok(Json(render::person_json(&s, &id)));
    }
    if let Some(t) = s.tokens.values().find(|t| t.bot_id == id && t.ws == ctx.ws) {
        return Ok(Json(render::bot_json(&s, t)));
    }
    Err(ApiError::object_not_found("user", &id))
}
