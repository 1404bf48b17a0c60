//! The public API under `/v1`.

pub mod comments;
pub mod data;
pub mod markdown;
pub mod moves;
pub mod pages;
pub mod users;
pub mod views;

use crate::errors::{ApiError, ApiResult, request_id};
use crate::model::TokenKind;
use crate::store::Shared;
use crate::util;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The authenticated caller of a `/v1` request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub token: String,
    pub ws: String,
    pub user_id: String,
    pub bot_id: String,
    pub kind: TokenKind,
}

pub fn router(st: Shared) -> Router<Shared> {
    Router::new()
        .route("/v1/users/me", get(users::me))
        .route("/v1/users", get(users::list))
        .route("/v1/users/{id}", get(users::get))
        .route("/v1/search", post(data::search))
        .route("/v1/pages", post(pages::create))
        .route("/v1/pages/{id}", get(pages::get).patch(pages::update))
        .route(
            "/v1/pages/{id}/markdown",
            get(markdown::get).patch(markdown::update),
        )
        .route("/v1/pages/{id}/move", post(moves::move_page))
        .route(
            "/v1/blocks/{id}",
            get(pages::get_block)
                .patch(pages::update_block)
                .delete(pages::delete_block),
        )
        .route(
            "/v1/blocks/{id}/children",
            get(pages::children).patch(pages::append),
        )
        .route("/v1/databases/{id}", get(data::get_database))
        .route("/v1/data_sources/{id}", get(data::get_data_source))
        .route("/v1/data_sources/{id}/query", post(data::query))
        .route("/v1/views", get(views::list))
        .route("/v1/views/{id}", get(views::get))
        .route("/v1/comments", get(comments::list).post(comments::create))
        .route(
            "/v1/comments/{id}",
            get(comments::get)
                .patch(comments::update)
                .delete(comments::delete),
        )
        .route(
            "/v1/file_uploads",
            get(crate::uploads::list).post(crate::uploads::create),
        )
        .route("/v1/file_uploads/{id}", get(crate::uploads::get))
        .route(
            "/v1/file_uploads/{id}/send",
            post(crate::uploads::send).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/file_uploads/{id}/complete",
            post(crate::uploads::complete),
        )
        .route_layer(from_fn_with_state(st, guard))
}

/// Version, auth and rate limit checks for `/v1` (in that order).
async fn guard(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    match check(&st, &req) {
        Ok(ctx) => {
            req.extensions_mut().insert(ctx);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

fn check(st: &Shared, req: &Request) -> ApiResult<Ctx> {
    let version = req
        .headers()
        .get("notion-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if version.is_empty() {
        return Err(ApiError::missing_version());
    }
    if !is_date_like(version) {
        return Err(ApiError::validation(format!(
            "Notion-Version header failed validation: `{version}` is not a valid version (expected a date such as 2022-06-28)."
        )));
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    let mut s = st.store();
    let t = s.valid_token(token).ok_or_else(ApiError::unauthorized)?;
    let ctx = Ctx {
        token: token.to_string(),
        ws: t.ws.clone(),
        user_id: t.user_id.clone(),
        bot_id: t.bot_id.clone(),
        kind: t.kind,
    };
    // At most `limit` accepted requests in any one-second span (a sliding window: an
    // average rate, with no double burst across a calendar second).
    if let Some(limit) = st.cfg.rate_limit {
        let now = st.now_ms();
        let log = s.rate.entry(ctx.token.clone()).or_default();
        while log.front().is_some_and(|t| now - t >= 1000) {
            log.pop_front();
        }
        if log.len() >= limit as usize {
            return Err(ApiError::rate_limited(1));
        }
        log.push_back(now);
    }
    Ok(ctx)
}

fn is_date_like(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A short rendering of a JSON value for error messages.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

/// Pagination request.
#[derive(Debug, Clone)]
pub struct PageReq {
    pub cursor: Option<String>,
    pub size: usize,
}

fn check_size(n: i64) -> ApiResult<usize> {
    if !(1..=100).contains(&n) {
        return Err(ApiError::validation(format!(
            "body failed validation: page_size should be a number between 1 and 100, instead was `{n}`."
        )));
    }
    Ok(n as usize)
}

impl PageReq {
    pub fn from_query(q: &HashMap<String, String>) -> ApiResult<Self> {
        let size = match q.get("page_size") {
            None => 100,
            Some(v) => check_size(v.trim().parse::<i64>().map_err(|_| {
                ApiError::validation(format!("page_size should be a number, instead was `{v}`."))
            })?)?,
        };
        let cursor = q.get("start_cursor").filter(|c| !c.is_empty()).cloned();
        Ok(Self { cursor, size })
    }
    pub fn from_body(b: &Value) -> ApiResult<Self> {
        let size = match b.get("page_size") {
            None | Some(Value::Null) => 100,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => check_size(i)?,
                None => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: page_size should be an integer, instead was `{n}`."
                    )));
                }
            },
            Some(v) => {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.page_size should be a number, instead was `{}`.",
                    short(v)
                )));
            }
        };
        let cursor = match b.get("start_cursor") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.start_cursor should be a string, instead was `{}`.",
                    short(v)
                )));
            }
        };
        Ok(Self { cursor, size })
    }

    /// The window of `ids` for this request and the next cursor. Cursors are the id of the
    /// first item of the next page.
    pub fn window<'a>(&self, ids: &'a [String]) -> ApiResult<(&'a [String], Option<String>)> {
        let start = match &self.cursor {
            None => 0,
            Some(c) => ids.iter().position(|i| i == c).ok_or_else(|| {
                ApiError::validation(format!(
                    "start_cursor `{c}` is not a valid cursor for this request."
                ))
            })?,
        };
        let end = (start + self.size).min(ids.len());
        let next = ids.get(end).cloned();
        Ok((&ids[start..end], next))
    }
}

/// A Notion list response.
pub fn list(results: Vec<Value>, next: Option<String>, kind: &str) -> Value {
    json!({
        "object": "list",
        "results": results,
        "next_cursor": next,
        "has_more": next.is_some(),
        "type": kind,
        kind: {},
        "request_id": request_id(),
    })
}

/// Parse and normalise an id from a path or body, as a `validation_error`.
pub fn parse_id(raw: &str, what: &str) -> ApiResult<String> {
    util::normalize_id(raw).ok_or_else(|| {
        ApiError::validation(format!(
            "path failed validation: path.{what} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    })
}
