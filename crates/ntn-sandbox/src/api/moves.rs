//! `POST /v1/pages/{id}/move`: a page to another page, a data source (or a database with
//! one data source), or the workspace. Under a data source the page keeps only its title
//! (the other properties take their empty values); moving out of one keeps the title.
//! The page's `child_page` block leaves the old parent page's content and joins the new
//! one's (at the end): both pages' `last_edited_time` move.

use super::{Ctx, parse_id};
use crate::errors::{ApiError, ApiResult};
use crate::extract::{JsonBody, PathParam};
use crate::model::Parent;
use crate::props::{fill_missing_props, title_props};
use crate::render;
use crate::store::{Shared, Store};
use crate::util;
use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Map, Value, json};

fn parent_of(s: &Store, ctx: &Ctx, v: &Value) -> ApiResult<Parent> {
    let field = |k: &str| v.get(k).and_then(Value::as_str);
    let kind = field("type").map(str::to_string).or_else(|| {
        ["page_id", "data_source_id", "database_id", "workspace"]
            .iter()
            .find(|k| v.get(**k).is_some())
            .map(|k| k.to_string())
    });
    match kind.as_deref() {
        Some("page_id") => {
            let id = parse_id(field("page_id").unwrap_or(""), "parent.page_id")?;
            let p = s
                .pages
                .get(&id)
                .filter(|p| p.ws == ctx.ws && !p.in_trash)
                .ok_or_else(|| ApiError::object_not_found("page", &id))?;
            Ok(Parent::Page(p.id.clone()))
        }
        Some("data_source_id") => {
            let id = parse_id(
                field("data_source_id").unwrap_or(""),
                "parent.data_source_id",
            )?;
            let ds = s
                .data_sources
                .get(&id)
                .filter(|d| d.ws == ctx.ws)
                .ok_or_else(|| ApiError::object_not_found("data source", &id))?;
            Ok(Parent::DataSource {
                ds: ds.id.clone(),
                db: ds.database_id.clone(),
            })
        }
        Some("database_id") => {
            let id = parse_id(field("database_id").unwrap_or(""), "parent.database_id")?;
            let db = s
                .databases
                .get(&id)
                .filter(|d| d.ws == ctx.ws && !d.in_trash)
                .ok_or_else(|| ApiError::object_not_found("database", &id))?;
            match db.data_sources.as_slice() {
                [one] => Ok(Parent::DataSource {
                    ds: one.clone(),
                    db: db.id.clone(),
                }),
                many => Err(ApiError::validation(format!(
                    "Database {id} has {} data sources: move the page to one of them with `data_source_id`.",
                    many.len()
                ))),
            }
        }
        Some("workspace") => Ok(Parent::Workspace),
        _ => Err(ApiError::validation(
            "body failed validation: body.parent should be an object with `page_id`, `database_id`, `data_source_id` or `type: workspace`.",
        )),
    }
}

/// Whether `candidate` is `page` or lies under it.
fn is_within(s: &Store, candidate: &str, page: &str) -> bool {
    let mut cur = candidate.to_string();
    for _ in 0..10_000 {
        if cur == page {
            return true;
        }
        let parent = match (s.pages.get(&cur), s.blocks.get(&cur)) {
            (Some(p), _) => &p.parent,
            (None, Some(b)) => &b.parent,
            _ => return false,
        };
        match parent {
            Parent::Page(p) | Parent::Block(p) => cur = p.clone(),
            _ => return false,
        }
    }
    false
}

pub async fn move_page(
    State(st): State<Shared>,
    Extension(ctx): Extension<Ctx>,
    PathParam(id): PathParam,
    JsonBody(b): JsonBody,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&id, "page_id")?;
    let target = b.get("parent").filter(|p| p.is_object()).ok_or_else(|| {
        ApiError::validation(
            "body failed validation: body.parent should be defined, instead was `undefined`.",
        )
    })?;
    let mut s = st.store();
    let page = s
        .pages
        .get(&id)
        .filter(|p| p.ws == ctx.ws)
        .cloned()
        .ok_or_else(|| ApiError::object_not_found("page", &id))?;
    if page.in_trash {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let parent = parent_of(&s, &ctx, target)?;
    if let Parent::Page(p) = &parent
        && is_within(&s, p, &id)
    {
        return Err(ApiError::validation(format!(
            "Cannot move page {id} into itself or one of its own pages."
        )));
    }
    let t = s.now();
    // Detach: the page's `child_page` block leaves its old parent's content.
    match &page.parent {
        Parent::Page(p) | Parent::Block(p) => {
            if let Some(list) = s.children.get_mut(p) {
                list.retain(|c| c != &id);
            }
            s.touch_page_of(p, &t);
        }
        Parent::DataSource { ds, .. } => {
            if let Some(d) = s.data_sources.get_mut(ds) {
                d.rows.retain(|r| r != &id);
            }
        }
        _ => {}
    }
    // Attach, with the properties the new parent allows.
    let title = page.title();
    let props: Map<String, Value> = match &parent {
        Parent::DataSource { ds, .. } => {
            let d = s
                .data_sources
                .get_mut(ds)
                .ok_or_else(|| ApiError::object_not_found("data source", ds))?;
            d.rows.push(id.clone());
            let mut props = Map::new();
            if let Some(def) = d.schema.iter().find(|p| p.kind == "title") {
                props.insert(
                    def.name.clone(),
                    json!({"id": def.id, "type": "title", "title": [util::rich_text(&title)]}),
                );
            }
            fill_missing_props(d, &mut props);
            props
        }
        Parent::Page(p) => {
            // ...and joins the new parent's content, at the end.
            s.children.entry(p.clone()).or_default().push(id.clone());
            s.touch_page_of(p, &t);
            title_props(&title)
        }
        _ => title_props(&title),
    };
    let p = s
        .pages
        .get_mut(&id)
        .ok_or_else(|| ApiError::object_not_found("page", &id))?;
    p.parent = parent;
    p.props = props;
    p.last_edited_time = t;
    p.last_edited_by = ctx.bot_id.clone();
    Ok(Json(render::page_json(p)))
}
