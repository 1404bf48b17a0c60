//! Pages as Notion-flavoured Markdown: the block tree of a page ([`Node`]), rendered to
//! Markdown ([`render`]), parsed back from Markdown ([`parse`], on pulldown-cmark), and
//! written into the store losing what Notion loses ([`apply`]: a replace makes every block
//! new, a targeted edit rebuilds only the top-level blocks its matches touch).
//!
//! # The format
//!
//! Blocks are separated by a blank line; consecutive list items by a line break. Children
//! of list items are indented under the item; the children of quotes are further
//! paragraphs of the quote; callouts and toggles wrap their children in tags:
//!
//! ```text
//! # Heading 1            ## Heading 2            ### Heading 3
//! Text with **bold**, *italic*, ~~strike~~, `code`, [links](https://…),
//! <span color="red">colour</span>, <span underline="true">underline</span>, line<br>breaks,
//! <mention-page url="https://www.notion.so/…">Title</mention-page>,
//! <mention-user url="user://ID">Name</mention-user>, <mention-date start="2025-01-01"/>
//! - bullet               1. numbered             - [ ] to do / - [x] done
//! > quote
//! ```lang … ```          ---                     ![caption](url)
//! | a | b |  (a GFM table: the first row is the header row)
//! <callout icon="💡" color="default"> … </callout>
//! <details> <summary>Toggle</summary> … </details>
//! <page url="https://www.notion.so/…">Child page</page>
//! <database url="https://www.notion.so/…" inline="true">Child database</database>
//! <empty-block/>          an empty paragraph
//! Text {color="red"}      block colour (paragraphs, headings, list items, to-dos)
//! # Heading {toggle="true"}   a toggle heading; its children follow, indented by a tab
//! $$ / E = mc^2 / $$     a block equation (three lines); inline equations are $x$
//! <video src="…">caption</video>  (also <audio>, <file>, <pdf>)
//! <columns> <column> … </column> <column> … </column> </columns>   (tags on their own lines)
//! <unknown url="https://www.notion.so/PAGE#BLOCK" alt="unsupported"/>
//! ```
//!
//! Types Notion renders as plausible but lossy Markdown render so, and read back as what
//! they look like: `table_of_contents` is `[TOC]`, a synced block is its (the original's)
//! blocks, `bookmark`/`embed`/`link_preview` a link line `[caption or url](url)`,
//! `link_to_page` a `<mention-page>` line, `breadcrumb` the page titles joined by ` / `.
//!
//! A block that cannot be rendered is an `<unknown …/>` tag and its id is listed in
//! `unknown_block_ids`: a type the format has no syntax for (`unsupported`, …; also a
//! paragraph or a non-toggle heading with children), content not shared with the token,
//! and every block past the block limit (then `truncated` is true).

pub mod apply;
pub mod inline;
pub mod parse;
pub mod render;

use crate::model::Parent;
use crate::store::Store;
use serde_json::{Value, json};

/// The host the store keeps "hosted files" on: reads show them on the sandbox's own origin
/// (`/__files/`), signed afresh every time, as Notion's are (see [`crate::files`]).
pub const FILE_HOST: &str = "https://prod-files-secure.s3.us-west-2.amazonaws.com/";

/// The block limit of one Markdown read (Notion's is about 20,000).
pub const DEFAULT_BLOCK_LIMIT: usize = 20_000;

/// The lowest `Notion-Version` the Markdown endpoints accept.
pub const MIN_VERSION: &str = "2026-03-11";

/// One block of a page as Markdown sees it. Child pages and databases are nodes of kind
/// `child_page` and `child_database` (`data.title`), references to blocks that could not
/// be rendered are `unknown`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The stored id (a block, page or database), when the node comes from the store or
    /// names one (`<page url=…>`, `<unknown url=…>`).
    pub id: Option<String>,
    /// Notion's block type.
    pub kind: String,
    /// The object under the type's key (`{"rich_text": […], "color": …}`).
    pub data: Value,
    pub children: Vec<Node>,
    /// Content the token cannot see: rendered as `<unknown/>`, its children never read.
    pub hidden: bool,
    /// What rendering needs from elsewhere in the store: the title of a `link_to_page`
    /// target, the path of titles a `breadcrumb` shows.
    pub label: Option<String>,
}

impl Node {
    pub fn new(kind: &str, data: Value) -> Node {
        Node {
            id: None,
            kind: kind.to_string(),
            data,
            children: Vec::new(),
            hidden: false,
            label: None,
        }
    }

    /// A text block (`paragraph`, `heading_1`, `quote`, …) with default colour.
    pub fn text(kind: &str, rich_text: Vec<Value>) -> Node {
        Node::new(kind, json!({"rich_text": rich_text, "color": "default"}))
    }

    pub fn is_list_item(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "bulleted_list_item" | "numbered_list_item" | "to_do"
        )
    }

    /// Whether this is a child page or database.
    pub fn is_child_object(&self) -> bool {
        matches!(self.kind.as_str(), "child_page" | "child_database")
    }

    /// Blocks in this subtree, this one included.
    pub fn count(&self) -> usize {
        1 + self.children.iter().map(Node::count).sum::<usize>()
    }
}

/// Inline Markdown (bold, italic, strikethrough, code, links, `<mention-…/>` tags) as rich
/// text: what comments take (`markdown` of `POST /v1/comments`); block syntax keeps only
/// its text.
pub fn inline_rich_text(md: &str) -> Vec<Value> {
    inline::to_rich(parse::parse_inline(md))
}

/// Whether an id (block, page or database) may be read by the token: neither it nor any
/// of its ancestors is marked as not shared (`POST /__sandbox/share`).
pub fn shared(s: &Store, id: &str) -> bool {
    let mut cur = id.to_string();
    for _ in 0..10_000 {
        if s.unshared.contains(&cur) {
            return false;
        }
        let parent = match (s.blocks.get(&cur), s.pages.get(&cur)) {
            (Some(b), _) => &b.parent,
            (None, Some(p)) => &p.parent,
            (None, None) => return true,
        };
        match parent {
            Parent::Page(p) | Parent::Block(p) => cur = p.clone(),
            _ => return true,
        }
    }
    true
}

/// The children of a container (page or block) as nodes, from the store: trashed content
/// left out, unshared content hidden (its subtree not read).
pub fn tree(s: &Store, container: &str) -> Vec<Node> {
    let Some(ids) = s.children.get(container) else {
        return Vec::new();
    };
    ids.iter().filter_map(|id| node_of(s, id)).collect()
}

/// One stored block, page or database (with its subtree) as a node; `None` when it is
/// trashed or unknown.
pub fn node_of(s: &Store, id: &str) -> Option<Node> {
    // The ancestors were checked on the way down.
    let hidden = s.unshared.contains(id);
    if let Some(b) = s.blocks.get(id) {
        if b.in_trash {
            return None;
        }
        // A synced block that refers to another shows the original's content.
        let source = crate::render::synced_source(s, id);
        return Some(Node {
            id: Some(id.to_string()),
            kind: b.kind.clone(),
            data: b.data.clone(),
            children: if hidden { Vec::new() } else { tree(s, &source) },
            hidden,
            label: label(s, id, &b.kind, &b.data),
        });
    }
    if let Some(p) = s.pages.get(id) {
        if p.in_trash {
            return None;
        }
        return Some(Node {
            id: Some(id.to_string()),
            kind: "child_page".into(),
            data: json!({"title": p.title()}),
            children: Vec::new(),
            hidden,
            label: None,
        });
    }
    let d = s.databases.get(id).filter(|d| !d.in_trash)?;
    Some(Node {
        id: Some(id.to_string()),
        kind: "child_database".into(),
        data: json!({"title": d.title, "is_inline": d.inline}),
        children: Vec::new(),
        hidden,
        label: None,
    })
}

/// The [`Node::label`] of a stored block.
fn label(s: &Store, id: &str, kind: &str, data: &Value) -> Option<String> {
    match kind {
        "link_to_page" => {
            let target = data["page_id"]
                .as_str()
                .or_else(|| data["database_id"].as_str())?;
            s.pages
                .get(target)
                .map(|p| p.title())
                .or_else(|| s.databases.get(target).map(|d| d.title.clone()))
        }
        "breadcrumb" => {
            // The titles from the top page down to the block's own page.
            let mut titles = Vec::new();
            let mut cur = page_of(s, id);
            while let Some(p) = cur.as_ref().and_then(|c| s.pages.get(c)) {
                titles.push(p.title());
                if titles.len() > 100 {
                    break;
                }
                cur = match &p.parent {
                    Parent::Page(parent) => Some(parent.clone()),
                    Parent::Block(b) => page_of(s, b),
                    _ => None,
                };
            }
            titles.reverse();
            Some(titles.join(" / "))
        }
        _ => None,
    }
}

/// The page a block belongs to (the block itself when it is a page).
pub fn page_of(s: &Store, id: &str) -> Option<String> {
    let mut cur = id.to_string();
    for _ in 0..10_000 {
        if s.pages.contains_key(&cur) {
            return Some(cur);
        }
        match s.blocks.get(&cur).map(|b| &b.parent) {
            Some(Parent::Page(p)) => return Some(p.clone()),
            Some(Parent::Block(b)) => cur = b.clone(),
            _ => return None,
        }
    }
    None
}

/// The id at the end of a Notion URL (`…/Title-<32 hex>`, `…#<32 hex>`, `user://<id>`) or
/// an id itself, dashed.
pub fn id_from_url(url: &str) -> Option<String> {
    let url = url.trim();
    if let Some(frag) = url.rsplit_once('#').map(|(_, f)| f)
        && let Some(id) = crate::util::normalize_id(frag)
    {
        return Some(id);
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or(path);
    if let Some(id) = crate::util::normalize_id(last) {
        return Some(id);
    }
    let hex: String = last.chars().filter(|c| *c != '-').collect();
    if hex.len() >= 32 {
        return crate::util::normalize_id(&hex[hex.len() - 32..]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_out_of_urls() {
        let id = "a1000000-0000-4000-8000-000000000002";
        for url in [
            "https://www.notion.so/Engineering-Notes-a1000000000040008000000000000002",
            "https://www.notion.so/a1000000000040008000000000000002?pvs=4",
            "https://www.notion.so/x#a1000000000040008000000000000002",
            "user://a1000000-0000-4000-8000-000000000002",
            id,
        ] {
            assert_eq!(id_from_url(url).as_deref(), Some(id), "{url}");
        }
        assert_eq!(id_from_url("https://example.com/x"), None);
    }
}
