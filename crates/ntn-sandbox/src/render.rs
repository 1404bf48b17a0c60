//! Rendering of stored objects as Notion API JSON (pages as Markdown are
//! [`crate::markdown`]'s business).

use crate::model::{Block, Comment, DataSource, Database, Page, Parent, Token, TokenKind};
use crate::store::Store;
use crate::util::rich_text;
use serde_json::{Value, json};

pub fn notion_url(title: &str, id: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug.trim_matches('-');
    let hex = id.replace('-', "");
    if slug.is_empty() {
        format!("https://www.notion.so/{hex}")
    } else {
        format!("https://www.notion.so/{slug}-{hex}")
    }
}

pub fn user_ref(id: &str) -> Value {
    json!({"object": "user", "id": id})
}

pub fn person_json(s: &Store, id: &str) -> Value {
    match s.user(id) {
        Some(u) => json!({
            "object": "user", "id": u.id, "type": "person", "name": u.name,
            "avatar_url": null, "person": {"email": u.email},
        }),
        None => user_ref(id),
    }
}

/// The bot user of a token (`GET /v1/users/me`).
///
/// `bot.token_type` is a sandbox marker: `"cli_login"` for tokens minted by the login flow,
/// `"personal_access_token"` for tokens from `POST /__sandbox/tokens`.
pub fn bot_json(s: &Store, t: &Token) -> Value {
    let ws = s.workspace(&t.ws);
    let (name, kind) = match t.kind {
        TokenKind::Login => ("Notion CLI", "cli_login"),
        TokenKind::PersonalAccessToken => ("Personal access token", "personal_access_token"),
    };
    json!({
        "object": "user",
        "id": t.bot_id,
        "type": "bot",
        "name": name,
        "avatar_url": null,
        "bot": {
            "owner": {"type": "user", "user": person_json(s, &t.user_id)},
            "workspace_name": ws.map(|w| w.name.clone()),
            "workspace_id": t.ws,
            "workspace_limits": {
                "max_file_upload_size_in_bytes": ws.map(|w| w.upload_limit).unwrap_or(0)
            },
            "token_type": kind,
        }
    })
}

/// `2025-01-02T03:04:05.678Z` → `2025-01-02T03:04:00.000Z`.
pub fn to_the_minute(t: &str) -> String {
    match t.get(..16) {
        Some(head) if t.len() >= 16 && t.is_char_boundary(16) => format!("{head}:00.000Z"),
        _ => t.to_string(),
    }
}

pub fn page_json(p: &Page) -> Value {
    let title = p.title();
    json!({
        "object": "page",
        "id": p.id,
        "created_time": p.created_time,
        // Notion rounds it to the minute: it cannot tell whether a page changed.
        "last_edited_time": to_the_minute(&p.last_edited_time),
        "created_by": user_ref(&p.created_by),
        "last_edited_by": user_ref(&p.last_edited_by),
        "cover": null,
        "icon": p.icon.as_ref().map(|e| json!({"type": "emoji", "emoji": e})),
        "parent": p.parent.to_json(),
        "archived": p.in_trash,
        "in_trash": p.in_trash,
        "is_locked": false,
        "properties": p.props,
        "url": notion_url(&title, &p.id),
        "public_url": null,
    })
}

fn has_children(s: &Store, id: &str) -> bool {
    s.children.get(id).is_some_and(|c| {
        c.iter().any(|cid| {
            s.blocks.get(cid).is_some_and(|b| !b.in_trash)
                || s.pages.get(cid).is_some_and(|p| !p.in_trash)
                || s.databases.get(cid).is_some_and(|d| !d.in_trash)
        })
    })
}

/// Where the children of a block are: for a synced block that refers to another
/// (`synced_from.block_id`), the original; otherwise the block itself.
pub fn synced_source(s: &Store, id: &str) -> String {
    s.blocks
        .get(id)
        .filter(|b| b.kind == "synced_block")
        .and_then(|b| b.data["synced_from"]["block_id"].as_str())
        .unwrap_or(id)
        .to_string()
}

/// A hosted file's data as a read shows it: the URL on the sandbox's origin, signed
/// afresh, and when that signature expires.
fn signed_file_data(s: &Store, kind: &str, data: &Value) -> Option<Value> {
    if !matches!(kind, "image" | "file" | "pdf" | "video" | "audio") || data["type"] != "file" {
        return None;
    }
    let url = data["file"]["url"].as_str()?;
    crate::files::hosted_path(url)?;
    let signer = crate::files::Signer::of(s);
    let mut out = data.clone();
    out["file"]["url"] = json!(signer.signed(url));
    out["file"]["expiry_time"] = json!(signer.expiry_time());
    Some(out)
}

pub fn block_json(s: &Store, b: &Block) -> Value {
    let data = signed_file_data(s, &b.kind, &b.data);
    json!({
        "object": "block",
        "id": b.id,
        "parent": b.parent.to_json(),
        "created_time": b.created_time,
        "last_edited_time": b.last_edited_time,
        "created_by": user_ref(&b.created_by),
        "last_edited_by": user_ref(&b.created_by),
        "has_children": has_children(s, &synced_source(s, &b.id)),
        "archived": b.in_trash,
        "in_trash": b.in_trash,
        "type": b.kind,
        b.kind.clone(): data.as_ref().unwrap_or(&b.data),
    })
}

/// A page seen as a `child_page` block.
pub fn child_page_block(s: &Store, p: &Page) -> Value {
    json!({
        "object": "block",
        "id": p.id,
        "parent": p.parent.to_json(),
        "created_time": p.created_time,
        "last_edited_time": p.last_edited_time,
        "created_by": user_ref(&p.created_by),
        "last_edited_by": user_ref(&p.last_edited_by),
        "has_children": has_children(s, &p.id),
        "archived": p.in_trash,
        "in_trash": p.in_trash,
        "type": "child_page",
        "child_page": {"title": p.title()},
    })
}

pub fn child_database_block(d: &Database) -> Value {
    json!({
        "object": "block",
        "id": d.id,
        "parent": Parent::Page(d.parent_page.clone()).to_json(),
        "created_time": d.created_time,
        "last_edited_time": d.last_edited_time,
        "created_by": user_ref(""),
        "last_edited_by": user_ref(""),
        "has_children": false,
        "archived": d.in_trash,
        "in_trash": d.in_trash,
        "type": "child_database",
        "child_database": {"title": d.title},
    })
}

/// Any child id (block, page or database) as a block object, if it exists and is visible.
pub fn any_block_json(s: &Store, id: &str) -> Option<Value> {
    if let Some(b) = s.blocks.get(id) {
        return Some(block_json(s, b));
    }
    if let Some(p) = s.pages.get(id) {
        return Some(child_page_block(s, p));
    }
    s.databases.get(id).map(child_database_block)
}

pub fn database_json(s: &Store, d: &Database) -> Value {
    let sources: Vec<Value> = d
        .data_sources
        .iter()
        .filter_map(|id| s.data_sources.get(id))
        .map(|ds| json!({"id": ds.id, "name": ds.name}))
        .collect();
    json!({
        "object": "database",
        "id": d.id,
        "created_time": d.created_time,
        "last_edited_time": d.last_edited_time,
        "title": [rich_text(&d.title)],
        "description": [],
        "icon": null,
        "cover": null,
        "parent": Parent::Page(d.parent_page.clone()).to_json(),
        "is_inline": d.inline,
        "is_locked": false,
        "archived": d.in_trash,
        "in_trash": d.in_trash,
        "data_sources": sources,
        "url": notion_url(&d.title, &d.id),
        "public_url": null,
    })
}

pub fn data_source_json(s: &Store, ds: &DataSource) -> Value {
    let mut props = serde_json::Map::new();
    for def in &ds.schema {
        let config = match def.kind.as_str() {
            "select" | "multi_select" | "status" => {
                let opts: Vec<Value> = def
                    .options
                    .iter()
                    .map(|o| json!({"id": o.id, "name": o.name, "color": o.color, "description": null}))
                    .collect();
                json!({"options": opts})
            }
            "number" => json!({"format": "number"}),
            _ => json!({}),
        };
        props.insert(
            def.name.clone(),
            json!({"id": def.id, "name": def.name, "description": "", "type": def.kind, def.kind.clone(): config}),
        );
    }
    let db = s.databases.get(&ds.database_id);
    json!({
        "object": "data_source",
        "id": ds.id,
        "created_time": ds.created_time,
        "last_edited_time": ds.last_edited_time,
        "created_by": user_ref(""),
        "last_edited_by": user_ref(""),
        "title": [rich_text(&ds.name)],
        "description": [],
        "icon": null,
        "properties": props,
        "parent": {"type": "database_id", "database_id": ds.database_id},
        "database_parent": db.map(|d| Parent::Page(d.parent_page.clone()).to_json()),
        "archived": db.is_some_and(|d| d.in_trash),
        "in_trash": db.is_some_and(|d| d.in_trash),
        "is_inline": db.is_some_and(|d| d.inline),
        "url": notion_url(&ds.name, &ds.id),
        "public_url": null,
    })
}

/// A comment as Notion answers it; attachment URLs are signed afresh (valid for an hour).
pub fn comment_json(s: &Store, c: &Comment) -> Value {
    let signer = crate::files::Signer::of(s);
    let attachments: Vec<Value> = c
        .attachments
        .iter()
        .map(|a| {
            json!({
                "category": a.category,
                "file": {"url": signer.signed(&a.url), "expiry_time": signer.expiry_time()},
            })
        })
        .collect();
    json!({
        "object": "comment",
        "id": c.id,
        "parent": c.parent.to_json(),
        "discussion_id": c.discussion_id,
        "created_time": c.created_time,
        "last_edited_time": c.last_edited_time,
        "created_by": user_ref(&c.author_id),
        "rich_text": c.rich_text,
        "display_name": {"type": c.display_name.0, "resolved_name": c.display_name.1},
        "attachments": attachments,
    })
}
