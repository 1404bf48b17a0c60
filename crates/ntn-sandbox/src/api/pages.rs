//! Pages and blocks.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryMap};
use crate::model::{Block, Page, Parent};
use crate::props::{
    check_api_input, fill_missing_props, input_value, normalize_rich_text, title_props,
};
use crate::render;
use crate::store::{Shared, Store};
use crate::util;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Map, Value, json};

/// Block types that can be created through the API.
const TEXT_BLOCKS: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "to_do",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "callout",
    "toggle",
    "code",
];
const OTHER_BLOCKS: &[&str] = &[
    "divider",
    "image",
    "file",
    "pdf",
    "video",
    "audio",
    "bookmark",
    "embed",
    "equation",
    "table_of_contents",
    "breadcrumb",
    "synced_block",
    "link_to_page",
];

fn page_in_ws<'a>(s: &'a Store, ctx: &Ctx, id: &str) -> ApiResult<&'a Page> {
    s.pages
        .get(id)
        .filter(|p| p.ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("page", id))
}

/// Normalise page-parent properties (only the title is allowed).
fn plain_page_props(props: &Value) -> ApiResult<Map<String, Value>> {
    let Some(obj) = props.as_object() else {
        return Err(ApiError::validation(format!(
            "body failed validation: body.properties should be an object, instead was `{}`.",
            short(props)
        )));
    };
    let mut title = None;
    for (k, v) in obj {
        let arr = v.get("title").unwrap_or(v);
        if k == "title" || v.get("title").is_some() {
            let rt = normalize_rich_text(arr, &format!("body.properties.{k}.title"))?;
            title = Some(rt);
        } else {
            return Err(ApiError::validation(format!(
                "{k} is not a property that exists. Pages whose parent is a page only have a title."
            )));
        }
    }
    let mut m = title_props("");
    if let Some(rt) = title {
        m["title"]["title"] = rt;
    }
    Ok(m)
}

/// Apply property values to a data source row.
fn row_props(
    s: &mut Store,
    ds_id: &str,
    props: &Value,
    into: &mut Map<String, Value>,
) -> ApiResult<()> {
    let Some(obj) = props.as_object() else {
        return Err(ApiError::validation(format!(
            "body failed validation: body.properties should be an object, instead was `{}`.",
            short(props)
        )));
    };
    let ds = s
        .data_sources
        .get_mut(ds_id)
        .ok_or_else(|| ApiError::object_not_found("data source", ds_id))?;
    // All or nothing, as Notion: every value is checked (options created on a copy of
    // the schema) before the page or the schema changes.
    let mut schema = ds.schema.clone();
    let mut values = Map::new();
    for (k, v) in obj {
        let def = schema
            .iter_mut()
            .find(|d| &d.name == k || &d.id == k)
            .ok_or_else(|| ApiError::validation(format!("{k} is not a property that exists.")))?;
        let name = def.name.clone();
        check_api_input(def, v)?;
        let val = input_value(def, v)?;
        values.insert(name, val);
    }
    ds.schema = schema;
    into.extend(values);
    fill_missing_props(ds, into);
    Ok(())
}

fn icon_of(v: &Value) -> ApiResult<Option<Option<String>>> {
    match v.get("icon") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(i) => match i.get("emoji").and_then(Value::as_str) {
            Some(e) => Ok(Some(Some(e.to_string()))),
            None => Err(ApiError::validation(
                "body failed validation: body.icon should be an emoji object.",
            )),
        },
    }
}

pub async fn create(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    headers: axum::http::HeaderMap,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let markdown = super::markdown::create_content(&b, &headers)?;
    let parent_v = b.get("parent").ok_or_else(|| {
        ApiError::validation(
            "body failed validation: body.parent should be defined, instead was `undefined`.",
        )
    })?;
    let children = match b.get("children") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) if a.len() <= 100 => a.clone(),
        Some(Value::Array(a)) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.children.length should be ≤ `100`, instead was `{}`.",
                a.len()
            )));
        }
        Some(v) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.children should be an array, instead was `{}`.",
                short(v)
            )));
        }
    };
    let icon = icon_of(&b)?.flatten();
    let mut s = st.store();
    let (parent, props) = if let Some(pid) = parent_v.get("page_id").and_then(Value::as_str) {
        let pid = parse_id(pid, "parent.page_id")?;
        let pp = page_in_ws(&s, &ctx, &pid)?;
        if pp.in_trash {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        let props = plain_page_props(b.get("properties").unwrap_or(&json!({})))?;
        (Parent::Page(pid), props)
    } else if let Some(raw) = parent_v
        .get("data_source_id")
        .or_else(|| parent_v.get("database_id"))
        .and_then(Value::as_str)
    {
        let id = parse_id(raw, "parent.data_source_id")?;
        let ds_id = if s.data_sources.get(&id).is_some_and(|d| d.ws == ctx.ws) {
            id
        } else if let Some(db) = s.databases.get(&id).filter(|d| d.ws == ctx.ws) {
            db.data_sources
                .first()
                .cloned()
                .ok_or_else(|| ApiError::object_not_found("data source", &id))?
        } else {
            return Err(ApiError::object_not_found("data source", &id));
        };
        let db = s.data_sources[&ds_id].database_id.clone();
        let mut props = Map::new();
        row_props(
            &mut s,
            &ds_id,
            b.get("properties").unwrap_or(&json!({})),
            &mut props,
        )?;
        (Parent::DataSource { ds: ds_id, db }, props)
    } else if parent_v.get("workspace") == Some(&json!(true)) {
        let props = plain_page_props(b.get("properties").unwrap_or(&json!({})))?;
        (Parent::Workspace, props)
    } else {
        return Err(ApiError::validation(
            "body failed validation: body.parent should be an object with `page_id` or `data_source_id`.",
        ));
    };
    let id = util::new_id();
    let t = s.now();
    // Validate children before inserting anything.
    let mut blocks = parse_children(&children, "body.children")?;
    attach_uploads(&st, &s, &ctx, &mut blocks)?;
    let page = Page {
        id: id.clone(),
        ws: ctx.ws.clone(),
        parent: parent.clone(),
        props,
        created_time: t.clone(),
        last_edited_time: t.clone(),
        created_by: ctx.bot_id.clone(),
        last_edited_by: ctx.bot_id.clone(),
        in_trash: false,
        icon,
    };
    match &parent {
        Parent::Page(pid) => {
            // The new page is a `child_page` block of its parent's content.
            s.children.entry(pid.clone()).or_default().push(id.clone());
            s.touch_page_of(pid, &t);
        }
        Parent::DataSource { ds, .. } => {
            if let Some(d) = s.data_sources.get_mut(ds) {
                d.rows.push(id.clone());
            }
        }
        _ => {}
    }
    s.pages.insert(id.clone(), page);
    s.page_order.push(id.clone());
    insert_blocks(&mut s, &ctx, &id, true, blocks, None, &t);
    if let Some(nodes) = markdown {
        super::markdown::fill_new_page(&mut s, &ctx, &id, nodes);
    }
    Ok(Json(render::page_json(&s.pages[&id])))
}

pub async fn get(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "page_id")?;
    let s = st.store();
    Ok(Json(render::page_json(page_in_ws(&s, &ctx, &id)?)))
}

fn trash_flag(b: &Value) -> ApiResult<Option<bool>> {
    let mut out = None;
    for k in ["archived", "in_trash"] {
        match b.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::Bool(x)) => out = Some(*x),
            Some(v) => {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.{k} should be a boolean, instead was `{}`.",
                    short(v)
                )));
            }
        }
    }
    Ok(out)
}

pub async fn update(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "page_id")?;
    let trash = trash_flag(&b)?;
    let icon = icon_of(&b)?;
    let mut s = st.store();
    let page = page_in_ws(&s, &ctx, &id)?.clone();
    if page.in_trash && trash != Some(false) {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let mut props = page.props.clone();
    if let Some(p) = b.get("properties") {
        match &page.parent {
            Parent::DataSource { ds, .. } => row_props(&mut s, ds, p, &mut props)?,
            _ => {
                if p.as_object().is_some_and(|o| !o.is_empty()) {
                    props = plain_page_props(p)?;
                }
            }
        }
    }
    let t = s.now();
    let p = s.pages.get_mut(&id).expect("exists");
    p.props = props;
    // Trashing a child page trashes its `child_page` block (the page itself, as the parent's
    // child) and leaves the parent's `last_edited_time` alone (see the README).
    if let Some(t) = trash {
        p.in_trash = t;
    }
    if let Some(i) = icon {
        p.icon = i;
    }
    p.last_edited_time = t;
    p.last_edited_by = ctx.bot_id.clone();
    Ok(Json(render::page_json(p)))
}

// ---------------------------------------------------------------------------
// Blocks

/// Block types whose content is a file object (external, hosted or a file upload).
const MEDIA_BLOCKS: &[&str] = &["image", "file", "pdf", "video", "audio"];

/// Turn the media blocks that name a file upload (`{type: "file_upload", file_upload: {id}}`)
/// into hosted file blocks (`{type: "file", file: {url, expiry_time}}`), as Notion answers
/// them. Every upload is checked (400 `validation_error` for an unknown, pending, expired or
/// failed one) before any is marked attached.
fn attach_uploads(st: &Shared, s: &Store, ctx: &Ctx, blocks: &mut [NewBlock]) -> ApiResult<()> {
    fn walk(
        st: &Shared,
        ctx: &Ctx,
        now: i64,
        blocks: &mut [NewBlock],
        used: &mut Vec<String>,
    ) -> ApiResult<()> {
        for b in blocks {
            if MEDIA_BLOCKS.contains(&b.kind.as_str()) && b.data["type"] == "file_upload" {
                let id = b.data["file_upload"]["id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let filename = st.uploads.attachable(&id, &ctx.ws, now)?;
                let caption = b.data.get("caption").cloned().unwrap_or_else(|| json!([]));
                let mut data = json!({
                    "type": "file",
                    "file": {"url": crate::files::upload_url(&ctx.ws, &id, &filename), "expiry_time": null},
                    "caption": caption,
                });
                if b.kind == "file" {
                    data["name"] = json!(filename);
                }
                b.data = data;
                used.push(id);
            }
            walk(st, ctx, now, &mut b.children, used)?;
        }
        Ok(())
    }
    let mut used = Vec::new();
    walk(st, ctx, s.now_ms(), blocks, &mut used)?;
    for id in used {
        st.uploads.mark_attached(&id);
    }
    Ok(())
}

/// A parsed block to insert: (type, data, children).
pub struct NewBlock {
    kind: String,
    data: Value,
    children: Vec<NewBlock>,
}

fn parse_children(list: &[Value], path: &str) -> ApiResult<Vec<NewBlock>> {
    list.iter()
        .enumerate()
        .map(|(i, v)| parse_block(v, &format!("{path}[{i}]")))
        .collect()
}

fn parse_block(v: &Value, path: &str) -> ApiResult<NewBlock> {
    let obj = v.as_object().ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: {path} should be an object, instead was `{}`.",
            short(v)
        ))
    })?;
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some(k) => k.to_string(),
        None => obj
            .keys()
            .find(|k| TEXT_BLOCKS.contains(&k.as_str()) || OTHER_BLOCKS.contains(&k.as_str()))
            .cloned()
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: {path}.type should be defined."
                ))
            })?,
    };
    let is_text = TEXT_BLOCKS.contains(&kind.as_str());
    if !is_text && !OTHER_BLOCKS.contains(&kind.as_str()) {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.type `{kind}` is not a supported block type."
        )));
    }
    let mut data = obj.get(&kind).cloned().unwrap_or_else(|| json!({}));
    if !data.is_object() {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.{kind} should be an object, instead was `{}`.",
            short(&data)
        )));
    }
    let children = match data.as_object_mut().and_then(|o| o.remove("children")) {
        Some(Value::Array(a)) => parse_children(&a, &format!("{path}.{kind}.children"))?,
        Some(Value::Null) | None => vec![],
        Some(other) => {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}.{kind}.children should be an array, instead was `{}`.",
                short(&other)
            )));
        }
    };
    if is_text {
        let rt = data.get("rich_text").cloned().unwrap_or_else(|| json!([]));
        data["rich_text"] = normalize_rich_text(&rt, &format!("{path}.{kind}.rich_text"))
            .map_err(|e| ApiError::validation(format!("body failed validation: {e}")))?;
        if kind == "code" {
            if data.get("language").is_none() {
                data["language"] = json!("plain text");
            }
            if data.get("caption").is_none() {
                data["caption"] = json!([]);
            }
        } else if data.get("color").is_none() {
            data["color"] = json!("default");
        }
        if kind == "to_do" {
            match data.get("checked") {
                None => data["checked"] = json!(false),
                Some(Value::Bool(_)) => {}
                Some(x) => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: {path}.to_do.checked should be a boolean, instead was `{}`.",
                        short(x)
                    )));
                }
            }
        }
    } else {
        if let Some(caption) = data.get("caption").cloned() {
            // Media, bookmarks and embeds: the caption is rich text.
            data["caption"] = normalize_rich_text(&caption, &format!("{path}.{kind}.caption"))
                .map_err(|e| ApiError::validation(format!("body failed validation: {e}")))?;
        }
        if MEDIA_BLOCKS.contains(&kind.as_str()) && data["type"] == "file_upload" {
            let raw = data["file_upload"]["id"].as_str().ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: {path}.{kind}.file_upload.id should be a string, instead was `{}`.",
                    short(&data["file_upload"]["id"])
                ))
            })?;
            data["file_upload"]["id"] = json!(parse_id(raw, &format!("{kind}.file_upload.id"))?);
        }
    }
    Ok(NewBlock {
        kind,
        data,
        children,
    })
}

/// Insert blocks under a container (page or block), at index `at` of its children (at the
/// end when `None`); returns the new first-level ids.
fn insert_blocks(
    s: &mut Store,
    ctx: &Ctx,
    container: &str,
    container_is_page: bool,
    blocks: Vec<NewBlock>,
    at: Option<usize>,
    t: &str,
) -> Vec<String> {
    let mut ids = vec![];
    let mut pos = at;
    for nb in blocks {
        let id = util::new_id();
        s.blocks.insert(
            id.clone(),
            Block {
                id: id.clone(),
                ws: ctx.ws.clone(),
                parent: if container_is_page {
                    Parent::Page(container.into())
                } else {
                    Parent::Block(container.into())
                },
                kind: nb.kind,
                data: nb.data,
                created_time: t.into(),
                last_edited_time: t.into(),
                created_by: ctx.bot_id.clone(),
                in_trash: false,
            },
        );
        let list = s.children.entry(container.into()).or_default();
        match pos.as_mut() {
            Some(p) => {
                list.insert(*p, id.clone());
                *p += 1;
            }
            None => list.push(id.clone()),
        }
        insert_blocks(s, ctx, &id, false, nb.children, None, t);
        ids.push(id);
    }
    ids
}

enum Container {
    Page,
    Block,
}

fn container(s: &Store, ctx: &Ctx, id: &str) -> ApiResult<(Container, bool)> {
    if let Some(b) = s.blocks.get(id).filter(|b| b.ws == ctx.ws) {
        return Ok((Container::Block, b.in_trash));
    }
    if let Some(p) = s.pages.get(id).filter(|p| p.ws == ctx.ws) {
        return Ok((Container::Page, p.in_trash));
    }
    Err(ApiError::object_not_found("block", id))
}

pub async fn get_block(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let s = st.store();
    let visible = s.blocks.get(&id).is_some_and(|b| b.ws == ctx.ws)
        || s.pages.get(&id).is_some_and(|p| p.ws == ctx.ws)
        || s.databases.get(&id).is_some_and(|d| d.ws == ctx.ws);
    if !visible {
        return Err(ApiError::object_not_found("block", &id));
    }
    render::any_block_json(&s, &id)
        .map(Json)
        .ok_or_else(|| ApiError::object_not_found("block", &id))
}

pub async fn update_block(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let trash = trash_flag(&b)?;
    let mut s = st.store();
    let now = s.now();
    if let Some(p) = s.pages.get_mut(&id).filter(|p| p.ws == ctx.ws) {
        if let Some(t) = trash {
            p.in_trash = t;
            p.last_edited_time = now;
        }
        let p = p.clone();
        return Ok(Json(render::child_page_block(&s, &p)));
    }
    let block = s
        .blocks
        .get(&id)
        .filter(|x| x.ws == ctx.ws)
        .cloned()
        .ok_or_else(|| ApiError::object_not_found("block", &id))?;
    if block.in_trash && trash != Some(false) {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let mut data = block.data.clone();
    if let Some(obj) = b.as_object() {
        for (k, v) in obj {
            if k == "archived" || k == "in_trash" || k == "type" || k == "object" {
                continue;
            }
            if *k != block.kind {
                return Err(ApiError::validation(format!(
                    "body failed validation: block type `{}` cannot be updated with `{k}`.",
                    block.kind
                )));
            }
            let Some(fields) = v.as_object() else {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.{k} should be an object."
                )));
            };
            for (f, fv) in fields {
                let val = match f.as_str() {
                    "rich_text" | "caption" => normalize_rich_text(fv, &format!("body.{k}.{f}"))
                        .map_err(|e| {
                            ApiError::validation(format!("body failed validation: {e}"))
                        })?,
                    "checked" if !fv.is_boolean() => {
                        return Err(ApiError::validation(format!(
                            "body failed validation: body.{k}.checked should be a boolean, instead was `{}`.",
                            short(fv)
                        )));
                    }
                    _ => fv.clone(),
                };
                data[f] = val;
            }
        }
    }
    let blk = s.blocks.get_mut(&id).expect("exists");
    blk.data = data;
    if let Some(t) = trash {
        blk.in_trash = t;
    }
    blk.last_edited_time = now.clone();
    let blk = blk.clone();
    // A block's change is a change of its page's content.
    s.touch_page_of(&id, &now);
    Ok(Json(render::block_json(&s, &blk)))
}

pub async fn delete_block(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let mut s = st.store();
    let t = s.now();
    if let Some(p) = s.pages.get_mut(&id).filter(|p| p.ws == ctx.ws) {
        p.in_trash = true;
        p.last_edited_time = t;
        let p = p.clone();
        return Ok(Json(render::child_page_block(&s, &p)));
    }
    let blk = s
        .blocks
        .get_mut(&id)
        .filter(|x| x.ws == ctx.ws)
        .ok_or_else(|| ApiError::object_not_found("block", &id))?;
    blk.in_trash = true;
    blk.last_edited_time = t.clone();
    let blk = blk.clone();
    s.touch_page_of(&id, &t);
    Ok(Json(render::block_json(&s, &blk)))
}

pub async fn children(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    QueryMap(q): QueryMap,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let req = PageReq::from_query(&q)?;
    let s = st.store();
    container(&s, &ctx, &id)?;
    // A synced block that refers to another lists the original's children, as Notion does.
    let source = render::synced_source(&s, &id);
    let ids: Vec<String> = s
        .children
        .get(&source)
        .map(|c| {
            c.iter()
                .filter(|cid| {
                    s.blocks.get(*cid).is_some_and(|b| !b.in_trash)
                        || s.pages.get(*cid).is_some_and(|p| !p.in_trash)
                        || s.databases.get(*cid).is_some_and(|d| !d.in_trash)
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let (win, next) = req.window(&ids)?;
    let results = win
        .iter()
        .filter_map(|cid| render::any_block_json(&s, cid))
        .collect();
    Ok(Json(super::list(results, next, "block")))
}

/// Where `PATCH /v1/blocks/{id}/children` puts the new blocks.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    Start,
    End,
    After(String),
}

/// The `position` (`Notion-Version` 2026-03-11 and later: `{type: start | end |
/// after_block, after_block: {id}}`) or the older `after` (earlier versions) of an append.
fn place_of(b: &Value, headers: &axum::http::HeaderMap) -> ApiResult<Place> {
    let version = headers
        .get("notion-version")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    let new_api = version >= POSITION_VERSION;
    let after = b.get("after").filter(|v| !v.is_null());
    let position = b.get("position").filter(|v| !v.is_null());
    if let Some(a) = after {
        if new_api {
            return Err(ApiError::validation(format!(
                "body failed validation: body.after is not supported in Notion-Version {version}: use `position` with `{{\"type\": \"after_block\", \"after_block\": {{\"id\": …}}}}`."
            )));
        }
        if position.is_some() {
            return Err(ApiError::validation(
                "body failed validation: provide `after` or `position`, not both.",
            ));
        }
        let Value::String(a) = a else {
            return Err(ApiError::validation(format!(
                "body failed validation: body.after should be a string, instead was `{}`.",
                short(a)
            )));
        };
        return Ok(Place::After(parse_id(a, "after")?));
    }
    let Some(pos) = position else {
        return Ok(Place::End);
    };
    if !new_api {
        return Err(ApiError::validation(format!(
            "body failed validation: body.position needs Notion-Version {POSITION_VERSION} or later (this request has {version}); use `after`."
        )));
    }
    let kind = pos.get("type").and_then(Value::as_str);
    match kind {
        Some("start") => Ok(Place::Start),
        Some("end") => Ok(Place::End),
        Some("after_block") => {
            let raw = pos["after_block"]["id"].as_str().ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.position.after_block.id should be a string, instead was `{}`.",
                    short(&pos["after_block"]["id"])
                ))
            })?;
            Ok(Place::After(parse_id(raw, "position.after_block.id")?))
        }
        _ => Err(ApiError::validation(format!(
            "body failed validation: body.position.type should be `start`, `end` or `after_block`, instead was `{}`.",
            short(pos.get("type").unwrap_or(&Value::Null))
        ))),
    }
}

/// The first `Notion-Version` whose append takes `position` (and no longer `after`).
pub const POSITION_VERSION: &str = "2026-03-11";

pub async fn append(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    headers: axum::http::HeaderMap,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let children = match b.get("children") {
        Some(Value::Array(a)) => a.clone(),
        None => {
            return Err(ApiError::validation(
                "body failed validation: body.children should be defined, instead was `undefined`.",
            ));
        }
        Some(v) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.children should be an array, instead was `{}`.",
                short(v)
            )));
        }
    };
    if children.len() > 100 {
        return Err(ApiError::validation(format!(
            "body failed validation: body.children.length should be ≤ `100`, instead was `{}`.",
            children.len()
        )));
    }
    let place = place_of(&b, &headers)?;
    let mut blocks = parse_children(&children, "body.children")?;
    let mut s = st.store();
    let (kind, trashed) = container(&s, &ctx, &id)?;
    if trashed {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    // Only a live child of this parent can be the block to insert after.
    let at = match &place {
        Place::Start => Some(0),
        Place::End => None,
        Place::After(a) => {
            let live = |c: &String| {
                s.blocks.get(c).is_some_and(|b| !b.in_trash)
                    || s.pages.get(c).is_some_and(|p| !p.in_trash)
                    || s.databases.get(c).is_some_and(|d| !d.in_trash)
            };
            let found = s
                .children
                .get(&id)
                .and_then(|c| c.iter().position(|x| x == a && live(x)));
            match found {
                Some(i) => Some(i + 1),
                None => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: block {a} is not a child of {id}, so new blocks cannot be placed after it."
                    )));
                }
            }
        }
    };
    attach_uploads(&st, &s, &ctx, &mut blocks)?;
    let t = s.now();
    let ids = insert_blocks(
        &mut s,
        &ctx,
        &id,
        matches!(kind, Container::Page),
        blocks,
        at,
        &t,
    );
    s.touch_page_of(&id, &t);
    let results = ids
        .iter()
        .filter_map(|cid| render::any_block_json(&s, cid))
        .collect();
    Ok(Json(super::list(results, None, "block")))
}
