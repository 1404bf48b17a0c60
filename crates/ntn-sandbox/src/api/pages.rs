//! Pages and blocks.

use super::{Ctx, PageReq, parse_id, short};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam, QueryMap};
use crate::model::{Block, Page, Parent};
use crate::props::{fill_missing_props, input_value, normalize_rich_text, title_props};
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

fn now() -> String {
    util::rfc3339(util::now_ms())
}

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
    for (k, v) in obj {
        let def = ds
            .schema
            .iter_mut()
            .find(|d| &d.name == k || &d.id == k)
            .ok_or_else(|| ApiError::validation(format!("{k} is not a property that exists.")))?;
        let name = def.name.clone();
        let val = input_value(def, v)?;
        into.insert(name, val);
    }
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
    let t = now();
    // Validate children before inserting anything.
    let blocks = parse_children(&children, "body.children")?;
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
        Parent::Page(pid) => s.children.entry(pid.clone()).or_default().push(id.clone()),
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
    let p = s.pages.get_mut(&id).expect("exists");
    p.props = props;
    if let Some(t) = trash {
        p.in_trash = t;
    }
    if let Some(i) = icon {
        p.icon = i;
    }
    p.last_edited_time = now();
    p.last_edited_by = ctx.bot_id.clone();
    Ok(Json(render::page_json(p)))
}

// ---------------------------------------------------------------------------
// Blocks

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
    } else if let Some(caption) = data.get("caption").cloned() {
        // Media, bookmarks and embeds: the caption is rich text.
        data["caption"] = normalize_rich_text(&caption, &format!("{path}.{kind}.caption"))
            .map_err(|e| ApiError::validation(format!("body failed validation: {e}")))?;
    }
    Ok(NewBlock {
        kind,
        data,
        children,
    })
}

/// Insert blocks under a container (page or block); returns the new first-level ids.
fn insert_blocks(
    s: &mut Store,
    ctx: &Ctx,
    container: &str,
    container_is_page: bool,
    blocks: Vec<NewBlock>,
    after: Option<&str>,
    t: &str,
) -> Vec<String> {
    let mut ids = vec![];
    let mut pos = after.and_then(|a| {
        s.children
            .get(container)
            .and_then(|c| c.iter().position(|x| x == a))
            .map(|p| p + 1)
    });
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
    if let Some(p) = s.pages.get_mut(&id).filter(|p| p.ws == ctx.ws) {
        if let Some(t) = trash {
            p.in_trash = t;
            p.last_edited_time = now();
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
    blk.last_edited_time = now();
    let blk = blk.clone();
    Ok(Json(render::block_json(&s, &blk)))
}

pub async fn delete_block(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "block_id")?;
    let mut s = st.store();
    let t = now();
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
    blk.last_edited_time = t;
    let blk = blk.clone();
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

pub async fn append(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
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
    let after = match b.get("after") {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) => Some(parse_id(a, "after")?),
        Some(v) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.after should be a string, instead was `{}`.",
                short(v)
            )));
        }
    };
    let blocks = parse_children(&children, "body.children")?;
    let mut s = st.store();
    let (kind, trashed) = container(&s, &ctx, &id)?;
    if trashed {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    if let Some(a) = &after
        && !s.children.get(&id).is_some_and(|c| c.contains(a))
    {
        return Err(ApiError::validation(format!(
            "body failed validation: body.after `{a}` is not a child of {id}."
        )));
    }
    let t = now();
    let ids = insert_blocks(
        &mut s,
        &ctx,
        &id,
        matches!(kind, Container::Page),
        blocks,
        after.as_deref(),
        &t,
    );
    if let Some(p) = s.pages.get_mut(&id) {
        p.last_edited_time = t;
    }
    let results = ids
        .iter()
        .filter_map(|cid| render::any_block_json(&s, cid))
        .collect();
    Ok(Json(super::list(results, None, "block")))
}
