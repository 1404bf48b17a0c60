//! Pages as Markdown: `GET` and `PATCH /v1/pages/{id}/markdown`, the `markdown` field of
//! `POST /v1/pages`, `POST /__sandbox/share` (content not shared with the token) and
//! `POST /__sandbox/markdown/skew` (the next write applied differently).
//! The format and its rendering and parsing are in [`crate::markdown`].

use super::{Ctx, parse_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::markdown::apply::{self, Writer};
use crate::markdown::render::{self, Rendered};
use crate::markdown::{MIN_VERSION, Node, node_of, page_of, parse, shared, tree};
use crate::store::{Shared, Store};
use crate::util;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

/// The Markdown endpoints answer only to `Notion-Version` 2026-03-11 or later.
pub fn check_version(headers: &HeaderMap) -> ApiResult<()> {
    let v = headers
        .get("notion-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if v < MIN_VERSION {
        return Err(ApiError::validation(format!(
            "Notion-Version `{v}` does not support page Markdown: use {MIN_VERSION} or later."
        )));
    }
    Ok(())
}

/// What a Markdown endpoint reads or writes: a page's content, or a block and its
/// subtree. Returns (the page it belongs to, whether it is a page).
fn target(s: &Store, ctx: &Ctx, id: &str) -> ApiResult<(String, bool)> {
    let not_found = || ApiError::object_not_found("page", id);
    if s.pages.get(id).is_some_and(|p| p.ws == ctx.ws) {
        if !shared(s, id) {
            return Err(not_found());
        }
        return Ok((id.to_string(), true));
    }
    if s.blocks
        .get(id)
        .is_some_and(|b| b.ws == ctx.ws && !b.in_trash)
        && shared(s, id)
    {
        let page = page_of(s, id).ok_or_else(not_found)?;
        return Ok((page, false));
    }
    Err(not_found())
}

fn answer(id: &str, r: Rendered) -> Json<Value> {
    Json(json!({
        "object": "page_markdown",
        "id": id,
        "markdown": r.markdown,
        "truncated": r.truncated,
        "unknown_block_ids": r.unknown_block_ids,
    }))
}

fn read(s: &Store, id: &str, page: &str, is_page: bool, limit: usize) -> Rendered {
    let nodes: Vec<Node> = if is_page {
        tree(s, id)
    } else {
        node_of(s, id).into_iter().collect()
    };
    render::markdown(
        &nodes,
        &render::Options {
            limit,
            sign: true,
            files: crate::files::Signer::of(s),
            page_id: page.to_string(),
        },
    )
}

/// `GET /v1/pages/{id}/markdown`.
pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    check_version(&headers)?;
    let id = parse_id(&id, "page_id")?;
    let s = st.store();
    let (page, is_page) = target(&s, &ctx, &id)?;
    let r = read(&s, &id, &page, is_page, st.cfg.markdown_block_limit);
    Ok(answer(&id, r))
}

fn flag(op: &Value, name: &str, path: &str) -> ApiResult<bool> {
    match op.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(ApiError::validation(format!(
            "body failed validation: body.{path}.{name} should be a boolean, instead was `{}`.",
            super::short(v)
        ))),
    }
}

/// `PATCH /v1/pages/{id}/markdown`: exactly one of `replace_content`, `update_content` or
/// `insert_content` (legacy in Notion's docs, still in its SDK; `replace_content_range`
/// is refused), on a page (a block id is
/// refused: what Notion does with one is not documented).
pub async fn update(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
    PathParam(id): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    check_version(&headers)?;
    let id = parse_id(&id, "page_id")?;
    let kind = b.get("type").and_then(Value::as_str).ok_or_else(|| {
        ApiError::validation(
            "body failed validation: body.type should be defined, instead was `undefined`.",
        )
    })?;
    let ops = [
        "replace_content",
        "update_content",
        "insert_content",
        "replace_content_range",
    ];
    let given: Vec<&str> = ops
        .iter()
        .copied()
        .filter(|k| b.get(*k).is_some())
        .collect();
    if !ops.contains(&kind) {
        return Err(ApiError::validation(format!(
            "body failed validation: body.type should be one of `replace_content`, `update_content`, instead was `{kind}`."
        )));
    }
    if given != [kind] {
        return Err(ApiError::validation(format!(
            "body failed validation: provide exactly one operation object, `{kind}`."
        )));
    }
    if kind == "replace_content_range" {
        return Err(ApiError::validation(format!(
            "`{kind}` is deprecated: use `update_content` or `replace_content`."
        )));
    }
    let op = &b[kind];
    let allow = flag(op, "allow_deleting_content", kind)?;
    let mut s = st.store();
    let (page, is_page) = target(&s, &ctx, &id)?;
    if !is_page {
        return Err(ApiError::validation(
            "The sandbox edits the Markdown of pages only: pass the id of the page.",
        ));
    }
    if s.pages.get(&page).is_some_and(|p| p.in_trash) {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let now = s.now();
    let w = Writer {
        ws: &ctx.ws,
        user: &ctx.bot_id,
        now: &now,
        page: &page,
    };
    let container = id.clone();
    let skew = s.skew.get(&page).cloned();
    let drop_last = skew.as_deref() == Some(SKEW_DROP_LAST_HUNK);
    let created = if kind == "insert_content" {
        let content = op.get("content").and_then(Value::as_str).ok_or_else(|| {
            ApiError::validation(
                "body failed validation: body.insert_content.content should be a string.",
            )
        })?;
        let after = op.get("after").and_then(Value::as_str);
        let at_start = op["position"]["type"] == "start";
        apply::insert_content(
            &mut s,
            &w,
            &container,
            parse::parse(content),
            after,
            at_start,
        )?
    } else if kind == "replace_content" {
        let new_str = op.get("new_str").and_then(Value::as_str).ok_or_else(|| {
            ApiError::validation(
                "body failed validation: body.replace_content.new_str should be a string.",
            )
        })?;
        let nodes = parse::parse(new_str);
        apply::replace(&mut s, &w, &container, nodes, allow)?
    } else {
        let updates = op.get("content_updates").unwrap_or(&Value::Null);
        apply::update(&mut s, &w, &container, updates, allow, drop_last)?
    };
    if skew.is_some() {
        s.skew.remove(&page);
        if !drop_last || kind == "replace_content" {
            alter_one_character(&mut s, &w, &page, &created);
        }
    }
    if let Some(p) = s.pages.get_mut(&page) {
        p.last_edited_time = now.clone();
        p.last_edited_by = ctx.bot_id.clone();
    }
    let r = read(&s, &id, &page, true, st.cfg.markdown_block_limit);
    Ok(answer(&id, r))
}

/// The skew mode that drops the last edit of an `update_content` (a `replace_content` gets
/// one character altered instead).
const SKEW_DROP_LAST_HUNK: &str = "drop_last_hunk";
/// The skew mode that alters one character of what was written.
const SKEW_ALTER_TEXT: &str = "alter_text";

/// The skew control's change to a write: the last character of the last text written
/// becomes another (`!`, or `?` when it was `!`); when nothing with text was written, an
/// empty paragraph is added at the end of the page.
fn alter_one_character(s: &mut Store, w: &Writer, page: &str, created: &[String]) {
    for id in created.iter().rev() {
        let Some(b) = s.blocks.get_mut(id) else {
            continue;
        };
        let Some(items) = b.data["rich_text"].as_array_mut() else {
            continue;
        };
        let Some(item) = items
            .iter_mut()
            .rev()
            .find(|i| i["text"]["content"].as_str().is_some_and(|c| !c.is_empty()))
        else {
            continue;
        };
        let mut text = item["text"]["content"].as_str().unwrap_or("").to_string();
        let last = text.pop();
        text.push(if last == Some('!') { '?' } else { '!' });
        item["text"]["content"] = json!(text);
        item["plain_text"] = json!(text);
        return;
    }
    apply::append(s, w, page, vec![Node::text("paragraph", Vec::new())]);
}

/// `POST /__sandbox/markdown/skew` `{"page_id": …, "mode": "alter_text" | "drop_last_hunk"}`:
/// the next successful Markdown write of that page is applied differently from what was
/// asked while answering 200 (a server that applied an edit differently). `alter_text`
/// (the default) alters one character of what is written; `drop_last_hunk` leaves the
/// last edit of an `update_content` out (all are still checked).
pub async fn skew(State(st): State<Shared>, JsonBody(b): JsonBody) -> ApiResult<Json<Value>> {
    let raw = b.get("page_id").and_then(Value::as_str).unwrap_or("");
    let id = util::normalize_id(raw)
        .ok_or_else(|| ApiError::validation(format!("`{raw}` is not an id.")))?;
    let mode = b
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or(SKEW_ALTER_TEXT);
    if mode != SKEW_ALTER_TEXT && mode != SKEW_DROP_LAST_HUNK {
        return Err(ApiError::validation(format!(
            "mode should be `{SKEW_ALTER_TEXT}` or `{SKEW_DROP_LAST_HUNK}`, instead was `{mode}`."
        )));
    }
    let mut s = st.store();
    if !s.pages.contains_key(&id) {
        return Err(ApiError::not_found(format!("No page {id}.")));
    }
    s.skew.insert(id, mode.to_string());
    Ok(Json(json!({"ok": true})))
}

/// The `markdown` of a `POST /v1/pages` body, parsed before the page is made; `None`
/// without one.
pub fn create_content(b: &Value, headers: &HeaderMap) -> ApiResult<Option<Vec<Node>>> {
    match b.get("markdown") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(md)) => {
            check_version(headers)?;
            if b.get("children").is_some_and(|c| !c.is_null())
                || b.get("content").is_some_and(|c| !c.is_null())
            {
                return Err(ApiError::validation(
                    "body failed validation: provide `markdown` or `children`, not both.",
                ));
            }
            Ok(Some(parse::parse(md)))
        }
        Some(v) => Err(ApiError::validation(format!(
            "body failed validation: body.markdown should be a string, instead was `{}`.",
            super::short(v)
        ))),
    }
}

/// Writes a new page's Markdown content; without a title, a leading `# Heading` becomes
/// the title (and leaves the content).
pub fn fill_new_page(s: &mut Store, ctx: &Ctx, page_id: &str, mut nodes: Vec<Node>) {
    let untitled = s.pages.get(page_id).is_some_and(|p| p.title().is_empty());
    if untitled && nodes.first().is_some_and(|n| n.kind == "heading_1") {
        let h = nodes.remove(0);
        if let Some(p) = s.pages.get_mut(page_id)
            && let Some(title) = p
                .props
                .values_mut()
                .find(|v| v.get("type").and_then(Value::as_str) == Some("title"))
        {
            title["title"] = h.data["rich_text"].clone();
        }
    }
    let now = s
        .pages
        .get(page_id)
        .map(|p| p.created_time.clone())
        .unwrap_or_default();
    let w = Writer {
        ws: &ctx.ws,
        user: &ctx.bot_id,
        now: &now,
        page: page_id,
    };
    apply::append(s, &w, page_id, nodes);
}

/// `POST /__sandbox/share` `{"id": …, "shared": false}`: whether the integration can see
/// a page or block (and what it holds). Unshared content is `<unknown/>` in its parent's
/// Markdown and a 404 when read by its own id.
pub async fn share(State(st): State<Shared>, JsonBody(b): JsonBody) -> ApiResult<Json<Value>> {
    let raw = b.get("id").and_then(Value::as_str).unwrap_or("");
    let id = util::normalize_id(raw)
        .ok_or_else(|| ApiError::validation(format!("`{raw}` is not an id.")))?;
    let on = b.get("shared").and_then(Value::as_bool).unwrap_or(true);
    let mut s = st.store();
    if !s.pages.contains_key(&id) && !s.blocks.contains_key(&id) && !s.databases.contains_key(&id) {
        return Err(ApiError::not_found(format!(
            "No page, block or database {id}."
        )));
    }
    if on {
        s.unshared.remove(&id);
    } else {
        s.unshared.insert(id);
    }
    Ok(Json(json!({"ok": true})))
}
