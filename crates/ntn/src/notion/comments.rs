//! Comments (`/v1/comments`): listed per page or block and grouped into discussions
//! (threads), created on a page, a block or a discussion, edited and deleted; and the
//! blocks of a page whose comments a listing with `--blocks` also reads.
//!
//! What the public API cannot show: resolved comments and suggested edits are not
//! listed, and a new inline discussion (anchored to a text selection) cannot be created.

use serde_json::{Value, json};

use super::Notion;
use super::listing::Listing;
use crate::error::{Error, Result};
use crate::http::{ApiError, RetryPolicy};
use crate::output::text::clean;

/// Said once wherever comments are listed.
pub const INVISIBLE: &str =
    "resolved comments and suggested edits are not visible through Notion's public API";

/// The most attachments one comment takes (Notion's limit).
pub const MAX_ATTACHMENTS: usize = 3;

/// Where a new comment goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A page-level comment (a new discussion).
    Page(String),
    /// A comment on a block (a new discussion).
    Block(String),
    /// A reply in an existing discussion.
    Discussion(String),
}

/// Who a new comment says it is from (`display_name`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// The integration (Notion's default).
    Integration,
    /// A custom name.
    Custom(String),
}

/// One thread: its comments, oldest first.
#[derive(Clone, Debug)]
pub struct Thread {
    pub discussion_id: String,
    /// The page or block it is on.
    pub on: String,
    pub comments: Vec<Value>,
}

/// The comments on one page or block (not on its children), oldest first, at most
/// `limit` (`None`: all).
pub fn list(
    notion: &Notion,
    block_id: &str,
    start: Option<&str>,
    limit: Option<u64>,
) -> Result<Listing> {
    let mut path = format!("/v1/comments?block_id={block_id}");
    if let Some(c) = start.filter(|c| !c.is_empty()) {
        path = crate::notion::paginate::with_query_cursor(&path, c);
    }
    Listing::get(notion, &path, limit).map_err(|e| explain(e, block_id, "read"))
}

/// Every comment on `block_id`.
pub fn all_on(notion: &Notion, block_id: &str) -> Result<Vec<Value>> {
    let mut listing = list(notion, block_id, None, None)?;
    let mut out = Vec::new();
    while let Some(batch) = listing
        .next_batch()
        .map_err(|e| explain(e, block_id, "read"))?
    {
        for raw in batch {
            let v: Value = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a comment of the answer cannot be read").cause(&e))?;
            out.push(v);
        }
    }
    Ok(out)
}

/// The blocks under a page (or block) that can hold comments, depth first, following
/// `has_children` (not into child pages and databases, which are pages of their own).
pub fn blocks(notion: &Notion, id: &str, max: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![id.to_string()];
    while let Some(parent) = stack.pop() {
        let mut listing = Listing::get(notion, &format!("/v1/blocks/{parent}/children"), None)?;
        let mut children = Vec::new();
        while let Some(batch) = listing.next_batch()? {
            for raw in batch {
                let b: Value = serde_json::from_str(raw.get())
                    .map_err(|e| Error::api("a block of the answer cannot be read").cause(&e))?;
                let Some(bid) = b["id"].as_str() else {
                    continue;
                };
                let kind = b["type"].as_str().unwrap_or("");
                if kind == "child_page" || kind == "child_database" {
                    continue;
                }
                out.push(bid.to_string());
                if b["has_children"] == true {
                    children.push(bid.to_string());
                }
                if out.len() >= max {
                    return Err(Error::local(format!(
                        "the page has more than {max} blocks: reading the comments of each would take too long"
                    ))
                    .hint("list the comments of the page itself (without --blocks), or of one block"));
                }
            }
        }
        // Depth first, in the page's order.
        stack.extend(children.into_iter().rev());
    }
    Ok(out)
}

/// Comments grouped into discussions: a discussion's comments oldest first, the
/// discussions by their first comment, oldest first.
pub fn group(comments: Vec<Value>) -> Vec<Thread> {
    let mut threads: Vec<Thread> = Vec::new();
    for c in comments {
        let d = c["discussion_id"].as_str().unwrap_or("").to_string();
        let on = c["parent"]["page_id"]
            .as_str()
            .or(c["parent"]["block_id"].as_str())
            .unwrap_or("")
            .to_string();
        match threads.iter_mut().find(|t| t.discussion_id == d) {
            Some(t) => t.comments.push(c),
            None => threads.push(Thread {
                discussion_id: d,
                on,
                comments: vec![c],
            }),
        }
    }
    let time = |c: &Value| c["created_time"].as_str().unwrap_or("").to_string();
    for t in &mut threads {
        t.comments.sort_by_key(time);
    }
    threads.sort_by_key(|t| t.comments.first().map(time).unwrap_or_default());
    threads
}

/// A comment's text as inline Markdown (bold, italic, strikethrough, code, links,
/// mentions as `@name`).
pub fn text(comment: &Value) -> String {
    let mut out = String::new();
    for t in comment["rich_text"].as_array().into_iter().flatten() {
        let plain = t["plain_text"]
            .as_str()
            .or(t["text"]["content"].as_str())
            .unwrap_or("");
        if t["type"] == "mention" {
            let name = plain.trim_start_matches('@');
            out.push('@');
            out.push_str(name);
            continue;
        }
        let a = &t["annotations"];
        let mut s = plain.to_string();
        if a["code"] == true {
            s = format!("`{s}`");
        }
        if a["bold"] == true {
            s = format!("**{s}**");
        }
        if a["italic"] == true {
            s = format!("*{s}*");
        }
        if a["strikethrough"] == true {
            s = format!("~~{s}~~");
        }
        if let Some(url) = t["href"].as_str().or(t["text"]["link"]["url"].as_str()) {
            s = format!("[{s}]({url})");
        }
        out.push_str(&s);
    }
    out
}

/// The request body of a new comment.
pub fn create_body(
    target: &Target,
    markdown: &str,
    attachments: &[String],
    author: &Author,
) -> Value {
    let mut b = match target {
        Target::Page(id) => json!({"parent": {"page_id": id}}),
        Target::Block(id) => json!({"parent": {"block_id": id}}),
        Target::Discussion(id) => json!({"discussion_id": id}),
    };
    b["markdown"] = json!(markdown);
    if !attachments.is_empty() {
        b["attachments"] = Value::Array(
            attachments
                .iter()
                .map(|id| json!({"file_upload_id": id}))
                .collect(),
        );
    }
    if let Author::Custom(name) = author {
        b["display_name"] = json!({"type": "custom", "custom": {"name": name}});
    }
    b
}

/// `POST /v1/comments`.
pub fn create(notion: &Notion, body: &Value, target_id: &str) -> Result<Value> {
    notion.post("/v1/comments", body).map_err(|e| {
        if e.may_have_applied() {
            e.hint(
                "the comment may or may not have been added: look at the page before trying again",
            )
        } else {
            explain(e, target_id, "insert")
        }
    })
}

/// Whether `id` is a page or a block (a block id is not a page: Notion answers 404).
pub fn target_of(notion: &Notion, id: &str) -> Result<Target> {
    match notion.get(&format!("/v1/pages/{id}")) {
        Ok(_) => Ok(Target::Page(id.to_string())),
        Err(e) if status(&e) == Some(404) || status(&e) == Some(400) => {
            match notion.get(&format!("/v1/blocks/{id}")) {
                Ok(_) => Ok(Target::Block(id.to_string())),
                Err(_) => Err(explain(e, id, "insert")),
            }
        }
        Err(e) => Err(explain(e, id, "insert")),
    }
}

/// `GET /v1/comments/{id}`.
pub fn get(notion: &Notion, id: &str) -> Result<Value> {
    notion
        .get(&format!("/v1/comments/{id}"))
        .map_err(|e| explain(e, id, "read"))
}

/// The discussion of a comment id, or the id itself when it is a discussion's.
pub fn discussion_of(notion: &Notion, id: &str) -> Result<String> {
    match notion.get(&format!("/v1/comments/{id}")) {
        Ok(c) => Ok(c["discussion_id"].as_str().unwrap_or(id).to_string()),
        Err(e) if status(&e) == Some(404) || status(&e) == Some(400) => Ok(id.to_string()),
        Err(e) => Err(explain(e, id, "read")),
    }
}

/// `PATCH /v1/comments/{id}` with new Markdown.
pub fn update(notion: &Notion, id: &str, markdown: &str) -> Result<Value> {
    notion
        .patch(
            &format!("/v1/comments/{id}"),
            &json!({"markdown": markdown}),
        )
        .map_err(|e| own_only(e, id))
}

/// Notion answers 404 for a comment another integration or a person wrote (one may
/// change only its own): the hint says so.
fn own_only(e: Error, id: &str) -> Error {
    if status(&e) == Some(404) {
        return e.hint(format!(
            "no comment {} that this integration wrote: an integration can change or delete only its own comments",
            clean(id)
        ));
    }
    explain(e, id, "insert")
}

/// `DELETE /v1/comments/{id}`.
pub fn delete(notion: &Notion, id: &str) -> Result<Value> {
    let req = notion.request("DELETE", &format!("/v1/comments/{id}"));
    let resp = notion
        .send(&req, &RetryPolicy::default())
        .map_err(|e| own_only(e, id))?;
    Ok(resp.json::<Value>().unwrap_or(Value::Null))
}

fn status(e: &Error) -> Option<u16> {
    e.data::<ApiError>().map(|a| a.status)
}

/// Says what to do about a refused comment request: a 403 is the connection's comment
/// capabilities, a 404 a page not shared with it.
pub fn explain(e: Error, id: &str, need: &str) -> Error {
    match status(&e) {
        Some(403) => {
            let cap = if need == "read" { "Read comments" } else { "Insert comments" };
            e.hint(format!(
                "the connection lacks the \"{cap}\" capability: turn it on in the integration's settings (https://www.notion.so/profile/integrations → the integration → Capabilities)"
            ))
        }
        Some(404) => e.hint(format!(
            "{} may not exist, or is not shared with the connection: in Notion, ••• → Connections → add it",
            clean(id)
        )),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_grouped_and_ordered_oldest_first() {
        let c = |id: &str, d: &str, t: &str| json!({"id": id, "discussion_id": d, "created_time": t, "parent": {"page_id": "p"}});
        let threads = group(vec![
            c("3", "b", "2026-01-01T00:03:00Z"),
            c("2", "a", "2026-01-01T00:02:00Z"),
            c("1", "a", "2026-01-01T00:01:00Z"),
        ]);
        let ids: Vec<Vec<&str>> = threads
            .iter()
            .map(|t| {
                t.comments
                    .iter()
                    .map(|c| c["id"].as_str().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(ids, [vec!["1", "2"], vec!["3"]]);
        assert_eq!(threads[0].discussion_id, "a");
    }

    #[test]
    fn text_is_inline_markdown() {
        let c = json!({"rich_text": [
            {"type": "text", "plain_text": "Ship ", "annotations": {}},
            {"type": "text", "plain_text": "now", "annotations": {"bold": true}},
            {"type": "text", "plain_text": " see ", "annotations": {}},
            {"type": "text", "plain_text": "docs", "href": "https://e.com", "annotations": {}},
            {"type": "mention", "plain_text": "@Alice", "annotations": {}},
        ]});
        assert_eq!(text(&c), "Ship **now** see [docs](https://e.com)@Alice");
    }

    #[test]
    fn bodies_say_where_and_who() {
        let b = create_body(
            &Target::Discussion("d".into()),
            "hi",
            &["u1".into()],
            &Author::Custom("Bot".into()),
        );
        assert_eq!(b["discussion_id"], "d");
        assert_eq!(b["attachments"][0]["file_upload_id"], "u1");
        assert_eq!(b["display_name"]["custom"]["name"], "Bot");
    }
}
