//! Comments: list (`GET /v1/comments?block_id=`), create (`POST /v1/comments`: a new
//! discussion on a page or block, or a reply), retrieve, update and delete
//! (`/v1/comments/{id}`), with Notion's comment capabilities ([`crate::model::CommentCaps`]).
//!
//! Sources: `reference/create-a-comment`, `reference/comment-object`,
//! `reference/comment-attachment`, `reference/update-a-comment`, `reference/delete-a-comment`
//! and the JS SDK's `api-endpoints/comments` types.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryMap};
use crate::model::{Comment, CommentAttachment, Parent, TokenKind};
use crate::props::normalize_rich_text;
use crate::render;
use crate::store::{Shared, Store};
use crate::util;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Map, Value};

/// Most attachments one comment takes (`reference/comment-attachment`).
pub const MAX_ATTACHMENTS: usize = 3;

/// The 403 of an integration without the capability an endpoint needs.
fn insufficient() -> ApiError {
    ApiError::restricted("Insufficient permissions for this endpoint.")
}

fn need_read(s: &Store, ctx: &Ctx) -> ApiResult<()> {
    if s.caps(&ctx.ws).read {
        Ok(())
    } else {
        Err(insufficient())
    }
}

fn need_insert(s: &Store, ctx: &Ctx) -> ApiResult<()> {
    if s.caps(&ctx.ws).insert {
        Ok(())
    } else {
        Err(insufficient())
    }
}

/// Whether the token can see a page or block (its workspace, shared, not in the trash).
fn visible(s: &Store, ctx: &Ctx, id: &str) -> bool {
    let here = match (s.pages.get(id), s.blocks.get(id)) {
        (Some(p), _) => p.ws == ctx.ws && !p.in_trash,
        (None, Some(b)) => b.ws == ctx.ws && !b.in_trash,
        (None, None) => false,
    };
    here && crate::markdown::shared(s, id)
}

/// A live (not deleted) comment of the token's workspace on something it can see.
fn find<'a>(s: &'a Store, ctx: &Ctx, id: &str) -> ApiResult<&'a Comment> {
    s.comments
        .iter()
        .find(|c| c.id == id && c.ws == ctx.ws && !c.in_trash && visible(s, ctx, c.target()))
        .ok_or_else(|| ApiError::object_not_found("comment", id))
}

pub async fn list(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let s = st.store();
    need_read(&s, &ctx)?;
    let raw = q.get("block_id").ok_or_else(|| {
        ApiError::validation(
            "query failed validation: block_id should be defined, instead was `undefined`.",
        )
    })?;
    let id = parse_id(raw, "block_id")?;
    let req = PageReq::from_query(&q)?;
    if !visible(&s, &ctx, &id) {
        return Err(ApiError::object_not_found("block", &id));
    }
    let mut found: Vec<&Comment> = s
        .comments
        .iter()
        .filter(|c| c.target() == id && !c.resolved && !c.in_trash)
        .collect();
    // Oldest first; the store keeps creation order among equal times.
    found.sort_by(|a, b| a.created_time.cmp(&b.created_time));
    let ids: Vec<String> = found.iter().map(|c| c.id.clone()).collect();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|i| found.iter().find(|c| &c.id == i))
        .map(|c| render::comment_json(&s, c))
        .collect();
    Ok(Json(super::list(results, next, "comment")))
}

pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(raw): PathParam,
) -> ApiResult<Json<Value>> {
    let s = st.store();
    need_read(&s, &ctx)?;
    let id = parse_id(&raw, "comment_id")?;
    let c = find(&s, &ctx, &id)?;
    Ok(Json(render::comment_json(&s, c)))
}

/// `rich_text` or `markdown`, exactly one, as rich text.
fn body_text(b: &Value) -> ApiResult<Value> {
    match (b.get("rich_text"), b.get("markdown")) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "body failed validation: body.rich_text and body.markdown should not both be present; provide exactly one.",
        )),
        (None, None) => Err(ApiError::validation(
            "body failed validation. Fix one:\nbody.rich_text should be defined, instead was `undefined`.\nbody.markdown should be defined, instead was `undefined`.",
        )),
        (Some(rt), None) => normalize_rich_text(rt, "body.rich_text")
            .map_err(|e| ApiError::validation(format!("body failed validation: {e}"))),
        (None, Some(Value::String(md))) => Ok(Value::Array(crate::markdown::inline_rich_text(md))),
        (None, Some(v)) => Err(ApiError::validation(format!(
            "body failed validation: body.markdown should be a string, instead was `{}`.",
            short(v)
        ))),
    }
}

/// Where a new comment goes: its parent and discussion.
fn placement(s: &Store, ctx: &Ctx, b: &Value) -> ApiResult<(Parent, String)> {
    match (b.get("parent"), b.get("discussion_id")) {
        (Some(_), Some(_)) => Err(ApiError::validation(
            "body failed validation: only one of body.parent and body.discussion_id should be present.",
        )),
        (None, None) => Err(ApiError::validation(
            "body failed validation. Fix one:\nbody.parent should be defined, instead was `undefined`.\nbody.discussion_id should be defined, instead was `undefined`.",
        )),
        (Some(p), None) => {
            let obj = p.as_object().ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.parent should be an object, instead was `{}`.",
                    short(p)
                ))
            })?;
            let parent = match (obj.get("page_id"), obj.get("block_id")) {
                (Some(v), None) => Parent::Page(parent_id(v, "page_id")?),
                (None, Some(v)) => Parent::Block(parent_id(v, "block_id")?),
                _ => {
                    return Err(ApiError::validation(
                        "body failed validation. Fix one:\nbody.parent.page_id should be defined, instead was `undefined`.\nbody.parent.block_id should be defined, instead was `undefined`.",
                    ));
                }
            };
            let (id, kind) = match &parent {
                Parent::Page(id) => (id.clone(), "page"),
                Parent::Block(id) => (id.clone(), "block"),
                _ => unreachable!("a comment's parent is a page or a block"),
            };
            let is_page = s.pages.contains_key(&id);
            if !visible(s, ctx, &id) || (kind == "page" && !is_page) {
                return Err(ApiError::object_not_found(kind, &id));
            }
            Ok((parent, util::new_id()))
        }
        (None, Some(d)) => {
            let raw = d.as_str().ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.discussion_id should be a string, instead was `{}`.",
                    short(d)
                ))
            })?;
            let did = parse_id(raw, "discussion_id")?;
            let c = s
                .comments
                .iter()
                .find(|c| {
                    c.discussion_id == did
                        && c.ws == ctx.ws
                        && !c.in_trash
                        && visible(s, ctx, c.target())
                })
                .ok_or_else(|| ApiError::object_not_found("discussion", &did))?;
            Ok((c.parent.clone(), did))
        }
    }
}

fn parent_id(v: &Value, key: &str) -> ApiResult<String> {
    let raw = v.as_str().ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: body.parent.{key} should be a string, instead was `{}`.",
            short(v)
        ))
    })?;
    parse_id(raw, &format!("parent.{key}"))
}

/// `display_name` as (type, resolved name): the integration's name by default.
fn display_name(s: &Store, ctx: &Ctx, b: &Value) -> ApiResult<(String, Option<String>)> {
    let bot_name = match ctx.kind {
        TokenKind::Login => "Notion CLI",
        TokenKind::PersonalAccessToken => "Personal access token",
    };
    let Some(d) = b.get("display_name") else {
        return Ok(("integration".into(), Some(bot_name.into())));
    };
    let bad = || {
        ApiError::validation(format!(
            "body failed validation: body.display_name should be one of `{{\"type\":\"integration\"}}`, `{{\"type\":\"user\"}}` or `{{\"type\":\"custom\",\"custom\":{{\"name\":…}}}}`, instead was `{}`.",
            short(d)
        ))
    };
    match d.get("type").and_then(Value::as_str) {
        Some("integration") => Ok(("integration".into(), Some(bot_name.into()))),
        Some("user") => Ok(("user".into(), s.user(&ctx.user_id).map(|u| u.name.clone()))),
        Some("custom") => {
            let name = d["custom"]["name"]
                .as_str()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(bad)?;
            Ok(("custom".into(), Some(name.to_string())))
        }
        _ => Err(bad()),
    }
}

/// The category Notion shows a comment attachment as, from its content type or name.
pub fn category(content_type: Option<&str>, filename: &str) -> &'static str {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if ct.starts_with("image/")
        || ["png", "jpg", "jpeg", "gif", "webp", "svg", "heic", "bmp"].contains(&ext.as_str())
    {
        "image"
    } else if ct == "application/pdf" || ext == "pdf" {
        "pdf"
    } else if ct.starts_with("audio/")
        || ["mp3", "wav", "m4a", "ogg", "aac"].contains(&ext.as_str())
    {
        "audio"
    } else if ct.starts_with("video/") || ["mp4", "mov", "webm", "avi"].contains(&ext.as_str()) {
        "video"
    } else {
        "productivity"
    }
}

/// Check `attachments` (≤ 3 completed uploads of this workspace); the upload ids and their
/// attachments, marked attached only once the whole request is valid.
fn attachments(
    st: &Shared,
    ctx: &Ctx,
    now: i64,
    b: &Value,
) -> ApiResult<(Vec<String>, Vec<CommentAttachment>)> {
    let Some(v) = b.get("attachments") else {
        return Ok((vec![], vec![]));
    };
    let list = v.as_array().ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: body.attachments should be an array, instead was `{}`.",
            short(v)
        ))
    })?;
    if list.len() > MAX_ATTACHMENTS {
        return Err(ApiError::validation(format!(
            "body failed validation: body.attachments.length should be ≤ `{MAX_ATTACHMENTS}`, instead was `{}`.",
            list.len()
        )));
    }
    let (mut ids, mut out) = (vec![], vec![]);
    for (i, a) in list.iter().enumerate() {
        let obj: &Map<String, Value> = a.as_object().ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: body.attachments[{i}] should be an object, instead was `{}`.",
                short(a)
            ))
        })?;
        if let Some(t) = obj.get("type")
            && t != "file_upload"
        {
            return Err(ApiError::validation(format!(
                "body failed validation: body.attachments[{i}].type should be `\"file_upload\"`, instead was `{}`.",
                short(t)
            )));
        }
        let raw = obj
            .get("file_upload_id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.attachments[{i}].file_upload_id should be a string, instead was `{}`.",
                    obj.get("file_upload_id").map_or("undefined".into(), short)
                ))
            })?;
        let id = parse_id(raw, &format!("attachments[{i}].file_upload_id"))?;
        let filename = st.uploads.attachable(&id, &ctx.ws, now)?;
        let ct = st.uploads.content_type(&id);
        out.push(CommentAttachment {
            category: category(ct.as_deref(), &filename).into(),
            url: crate::files::upload_url(&ctx.ws, &id, &filename),
        });
        ids.push(id);
    }
    Ok((ids, out))
}

pub async fn create(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let now = st.now_ms();
    let mut s = st.store();
    need_insert(&s, &ctx)?;
    let rich_text = body_text(&b)?;
    let (parent, discussion_id) = placement(&s, &ctx, &b)?;
    let display = display_name(&s, &ctx, &b)?;
    let (uploads, files) = attachments(&st, &ctx, now, &b)?;
    for id in &uploads {
        st.uploads.mark_attached(id);
    }
    let at = s.now();
    let c = Comment {
        id: util::new_id(),
        ws: ctx.ws.clone(),
        parent,
        discussion_id,
        created_time: at.clone(),
        last_edited_time: at,
        author_id: ctx.bot_id.clone(),
        rich_text,
        display_name: display,
        attachments: files,
        resolved: false,
        in_trash: false,
    };
    let out = render::comment_json(&s, &c);
    s.comments.push(c);
    Ok(Json(out))
}

/// The index of a comment this integration wrote; Notion answers 404 for anyone else's
/// (`reference/update-a-comment`, `reference/delete-a-comment`).
fn own(s: &Store, ctx: &Ctx, raw: &str) -> ApiResult<usize> {
    let id = parse_id(raw, "comment_id")?;
    let c = find(s, ctx, &id)?;
    if c.author_id != ctx.bot_id {
        return Err(ApiError::object_not_found("comment", &id));
    }
    Ok(s.comments
        .iter()
        .position(|x| x.id == id)
        .unwrap_or_default())
}

pub async fn update(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(raw): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let mut s = st.store();
    need_insert(&s, &ctx)?;
    let i = own(&s, &ctx, &raw)?;
    let rich_text = body_text(&b)?;
    let at = s.now();
    let c = &mut s.comments[i];
    c.rich_text = rich_text;
    c.last_edited_time = at;
    let c = s.comments[i].clone();
    Ok(Json(render::comment_json(&s, &c)))
}

pub async fn delete(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(raw): PathParam,
) -> ApiResult<Json<Value>> {
    let mut s = st.store();
    need_insert(&s, &ctx)?;
    let i = own(&s, &ctx, &raw)?;
    s.comments[i].in_trash = true;
    let c = s.comments[i].clone();
    Ok(Json(render::comment_json(&s, &c)))
}

#[cfg(test)]
mod tests {
    use super::category;

    #[test]
    fn categories_follow_type_then_name() {
        assert_eq!(category(Some("image/png"), "x.bin"), "image");
        assert_eq!(category(None, "scan.PDF"), "pdf");
        assert_eq!(category(Some("audio/mpeg"), "a"), "audio");
        assert_eq!(category(None, "clip.mp4"), "video");
        assert_eq!(category(Some("text/plain"), "notes.txt"), "productivity");
    }
}
