//! Writing Markdown into the store: the two edit operations of
//! `PATCH /v1/pages/{id}/markdown` and the content of a new page, losing what Notion
//! loses.
//!
//! * [`replace`] (`replace_content`) creates every block anew (new ids), as Notion does:
//!   blocks the format cannot keep come back as what their Markdown reads as (a `[TOC]`
//!   paragraph, a link paragraph for a bookmark, …). Child pages and databases the new
//!   Markdown names (`<page url=…>`) are kept, wherever they go; one that would go away is
//!   a deletion, refused unless `allow_deleting_content`.
//! * [`update`] (`update_content`) works on the page's Markdown ([`render::with_spans`]):
//!   every `old_str` must match (once, or at all with `replace_all_matches`), checked in
//!   order before anything changes. **The rule the client's lossy guard relies on:** the
//!   blocks rebuilt are the *top-level* blocks (children of the page) whose rendered span
//!   has at least one byte in common with a matched range, where a top-level block's span
//!   covers its children and the blank-line separators between blocks belong to no block.
//!   Those blocks, and only those, are replaced by what the edited text around them parses
//!   to (new ids, lossy types degraded as by a replace); every other block keeps its id and
//!   its exact data. A match that lies only in separators (an insertion anchored on
//!   `"\n\n"`) rebuilds no block and inserts what its new text parses to at that place.
//!   `<unknown/>` tags read back keep nothing: an unknown block survives only untouched.
//!
//! Everything is checked before anything changes.

use super::render;
use super::{Node, parse::parse, tree};
use crate::errors::{ApiError, ApiResult};
use crate::model::{Block, Page, Parent};
use crate::props::title_props;
use crate::store::Store;
use crate::util;
use serde_json::Value;
use std::collections::HashSet;
use std::ops::Range;

/// Who writes, and when.
pub struct Writer<'a> {
    pub ws: &'a str,
    pub user: &'a str,
    pub now: &'a str,
    /// The page being written (new child pages go under it or its blocks).
    pub page: &'a str,
}

enum Entry {
    /// An existing block, page or database kept here as it is.
    Keep { id: String },
    /// An existing child page or database moved here from elsewhere on the page.
    Move { id: String },
    /// A new block (and its children).
    New(Node),
}

struct Planner<'a> {
    s: &'a Store,
    /// Child pages and databases the new Markdown names.
    named: HashSet<String>,
    /// Child pages and databases anywhere under the container before the edit.
    existing: HashSet<String>,
    /// Top-level ids kept as they are (a tag naming one again is refused).
    kept: HashSet<String>,
    trashed: Vec<String>,
    deleted_objects: Vec<String>,
}

impl<'a> Planner<'a> {
    fn new(s: &'a Store, container: &str, new: &[Node]) -> Planner<'a> {
        let mut named = HashSet::new();
        collect_named(new, &mut named);
        let mut existing = HashSet::new();
        objects_under(s, container, &mut existing);
        Planner {
            s,
            named,
            existing,
            kept: HashSet::new(),
            trashed: Vec::new(),
            deleted_objects: Vec::new(),
        }
    }
}

/// Replaces the content of `container` (a page) with `new`: every block is new. Returns
/// the ids of the blocks created.
pub fn replace(
    s: &mut Store,
    w: &Writer,
    container: &str,
    new: Vec<Node>,
    allow_deleting: bool,
) -> ApiResult<Vec<String>> {
    let old = tree(s, container);
    let mut p = Planner::new(s, container, &new);
    for o in &old {
        p.delete(o);
    }
    let mut plan = Vec::new();
    for n in new.into_iter().filter(|n| n.kind != "unknown") {
        plan.push(p.new_entry(n)?);
    }
    let (trashed, deleted) = (p.trashed, p.deleted_objects);
    commit(s, w, container, trashed, deleted, plan, allow_deleting)
}

/// Applies `content_updates` to the Markdown of `container` (a page), rebuilding only the
/// top-level blocks a match touches (see the module's doc). With `skip_last`, every edit
/// is checked but the last one is not applied (the sandbox's skew control). Returns the
/// ids of the blocks created.
pub fn update(
    s: &mut Store,
    w: &Writer,
    container: &str,
    updates: &Value,
    allow_deleting: bool,
    skip_last: bool,
) -> ApiResult<Vec<String>> {
    let old = tree(s, container);
    let (current, spans) = render::with_spans(&old, w.page, &crate::files::Signer::of(s));
    let (mut text, mut kept) = edit(&current, &spans, updates)?;
    if skip_last && let Some(list) = updates.as_array() {
        let mut fewer = list.clone();
        fewer.pop();
        if fewer.is_empty() {
            return Ok(Vec::new());
        }
        (text, kept) = edit(&current, &spans, &Value::Array(fewer))?;
    }
    // The text between kept blocks, parsed.
    enum Part {
        Keep(usize),
        New(Vec<Node>),
    }
    let mut parts = Vec::new();
    let mut pos = 0;
    for (i, r) in &kept {
        parts.push(Part::New(parse(&text[pos..r.start])));
        parts.push(Part::Keep(*i));
        pos = r.end;
    }
    parts.push(Part::New(parse(&text[pos..])));
    let all_new: Vec<Node> = parts
        .iter()
        .flat_map(|p| match p {
            Part::New(n) => n.clone(),
            Part::Keep(_) => Vec::new(),
        })
        .collect();
    let mut p = Planner::new(s, container, &all_new);
    let kept_idx: HashSet<usize> = kept.iter().map(|(i, _)| *i).collect();
    for (i, o) in old.iter().enumerate() {
        if kept_idx.contains(&i) {
            p.kept.extend(o.id.clone());
        } else {
            p.delete(o);
        }
    }
    let mut plan = Vec::new();
    for part in parts {
        match part {
            Part::Keep(i) => plan.push(Entry::Keep {
                id: old[i].id.clone().unwrap_or_default(),
            }),
            Part::New(nodes) => {
                for n in nodes.into_iter().filter(|n| n.kind != "unknown") {
                    plan.push(p.new_entry(n)?);
                }
            }
        }
    }
    let (trashed, deleted) = (p.trashed, p.deleted_objects);
    commit(s, w, container, trashed, deleted, plan, allow_deleting)
}

/// Checks the deletions, then writes the plan.
fn commit(
    s: &mut Store,
    w: &Writer,
    container: &str,
    trashed: Vec<String>,
    deleted: Vec<String>,
    plan: Vec<Entry>,
    allow_deleting: bool,
) -> ApiResult<Vec<String>> {
    if !deleted.is_empty() && !allow_deleting {
        let n = deleted.len();
        return Err(ApiError::validation(format!(
            "This edit would delete {n} child page(s) or database(s). Set `allow_deleting_content` to true to allow it."
        )));
    }
    let moved: Vec<String> = collect_moves(&plan);
    for id in &moved {
        for list in s.children.values_mut() {
            list.retain(|c| c != id);
        }
    }
    for id in trashed {
        if let Some(b) = s.blocks.get_mut(&id) {
            b.in_trash = true;
            b.last_edited_time = w.now.to_string();
        }
    }
    for id in deleted {
        if let Some(pg) = s.pages.get_mut(&id) {
            pg.in_trash = true;
            pg.last_edited_time = w.now.to_string();
        } else if let Some(d) = s.databases.get_mut(&id) {
            d.in_trash = true;
        }
    }
    let mut created = Vec::new();
    write(s, w, container, plan, &mut created);
    Ok(created)
}

/// Inserts blocks at the end of a container (a new page's content); returns the ids of
/// the blocks created.
pub fn append(s: &mut Store, w: &Writer, container: &str, nodes: Vec<Node>) -> Vec<String> {
    let mut created = Vec::new();
    let ids: Vec<String> = nodes
        .into_iter()
        .filter(|n| n.kind != "unknown")
        .filter_map(|n| insert(s, w, container, n, &mut created))
        .collect();
    s.children
        .entry(container.to_string())
        .or_default()
        .extend(ids);
    created
}

/// `insert_content`: new blocks at the end of `container` (a page), at its start, or
/// right after the top-level block where the text `after` selects ends (`start...end`, or
/// a plain text; it must select exactly once). No block already there changes. Returns
/// the ids of the blocks created.
pub fn insert_content(
    s: &mut Store,
    w: &Writer,
    container: &str,
    nodes: Vec<Node>,
    after: Option<&str>,
    at_start: bool,
) -> ApiResult<Vec<String>> {
    let old = tree(s, container);
    let index = match after {
        None if at_start => 0,
        None => old.len(),
        Some(sel) => {
            let (text, spans) = render::with_spans(&old, w.page, &crate::files::Signer::of(s));
            let ends: Vec<usize> = match sel.split_once("...") {
                Some((a, b)) if !a.is_empty() && !b.is_empty() => text
                    .match_indices(a)
                    .filter_map(|(i, _)| {
                        text[i + a.len()..]
                            .find(b)
                            .map(|j| i + a.len() + j + b.len())
                    })
                    .collect(),
                _ => text.match_indices(sel).map(|(i, m)| i + m.len()).collect(),
            };
            match ends.as_slice() {
                [] => {
                    return Err(ApiError::validation(format!(
                        "No match found for `after`: \"{sel}\"."
                    )));
                }
                [end] => spans
                    .iter()
                    .position(|r| r.start < *end && *end <= r.end)
                    .map_or_else(|| spans.iter().filter(|r| r.end <= *end).count(), |i| i + 1),
                many => {
                    return Err(ApiError::validation(format!(
                        "`after` matches {} times: \"{sel}\". Make the selection unique.",
                        many.len()
                    )));
                }
            }
        }
    };
    let mut created = Vec::new();
    let ids: Vec<String> = nodes
        .into_iter()
        .filter(|n| n.kind != "unknown")
        .filter_map(|n| insert(s, w, container, n, &mut created))
        .collect();
    let list = s.children.entry(container.to_string()).or_default();
    // `insert` may have placed some already: take them out, then put them in place,
    // counting positions among the blocks that were visible (not in the trash).
    list.retain(|id| !ids.contains(id));
    let visible: Vec<usize> = list
        .iter()
        .enumerate()
        .filter(|(_, id)| old.iter().any(|o| o.id.as_deref() == Some(id.as_str())))
        .map(|(i, _)| i)
        .collect();
    let at = visible.get(index).copied().unwrap_or(list.len());
    for (k, id) in ids.into_iter().enumerate() {
        list.insert(at + k, id);
    }
    Ok(created)
}

/// The edited text and the top-level blocks no match touched (their index among the
/// blocks and their range in the text).
pub type Edited = (String, Vec<(usize, Range<usize>)>);

/// Applies `content_updates` to `text` in order, each checked to match (once, or at all
/// with `replace_all_matches`) before anything changes. `spans` are the ranges of the
/// top-level blocks in `text`; returns the new text and the blocks no match touched (their
/// index in `spans` and their range in the new text).
pub fn edit(text: &str, spans: &[Range<usize>], updates: &Value) -> ApiResult<Edited> {
    let Some(list) = updates.as_array() else {
        return Err(ApiError::validation(
            "body failed validation: body.update_content.content_updates should be an array.",
        ));
    };
    if list.is_empty() || list.len() > 100 {
        return Err(ApiError::validation(format!(
            "body failed validation: body.update_content.content_updates.length should be between 1 and 100, instead was `{}`.",
            list.len()
        )));
    }
    let mut text = text.to_string();
    let mut kept: Vec<(usize, Range<usize>)> = spans.iter().cloned().enumerate().collect();
    for (i, u) in list.iter().enumerate() {
        let field = |k: &str| {
            u.get(k).and_then(Value::as_str).ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.update_content.content_updates[{i}].{k} should be a string."
                ))
            })
        };
        let old = field("old_str")?;
        let new = field("new_str")?;
        let all = u
            .get("replace_all_matches")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if old.is_empty() {
            return Err(ApiError::validation(format!(
                "body failed validation: body.update_content.content_updates[{i}].old_str should not be empty."
            )));
        }
        let mut at: Vec<usize> = text.match_indices(old).map(|(p, _)| p).collect();
        if at.is_empty() {
            return Err(ApiError::validation(format!(
                "content_updates[{i}]: old_str was not found in the page content."
            )));
        }
        if at.len() > 1 && !all {
            return Err(ApiError::validation(format!(
                "content_updates[{i}]: old_str matches {} times in the page content. Make it unique or set `replace_all_matches` to true.",
                at.len()
            )));
        }
        if !all {
            at.truncate(1);
        }
        // A block a match has a byte in common with is rebuilt; the others move along.
        kept.retain(|(_, r)| !at.iter().any(|&a| a < r.end && r.start < a + old.len()));
        let grow = new.len() as isize - old.len() as isize;
        for (_, r) in kept.iter_mut() {
            let before = at.iter().filter(|&&a| a + old.len() <= r.start).count() as isize;
            let shift = |x: usize| (x as isize + before * grow) as usize;
            *r = shift(r.start)..shift(r.end);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for &a in &at {
            out.push_str(&text[last..a]);
            out.push_str(new);
            last = a + old.len();
        }
        out.push_str(&text[last..]);
        text = out;
    }
    Ok((text, kept))
}

impl Planner<'_> {
    /// An old block that is not kept: trashed; child pages and databases under it that
    /// the new Markdown does not name are deleted.
    fn delete(&mut self, o: &Node) {
        let Some(id) = o.id.clone() else {
            return;
        };
        let mut objects = HashSet::new();
        if o.is_child_object() {
            objects.insert(id.clone());
        } else {
            self.trashed.push(id.clone());
            objects_under(self.s, &id, &mut objects);
        }
        let mut objects: Vec<String> = objects.into_iter().collect();
        objects.sort();
        for obj in objects {
            if !self.named.contains(&obj) && !self.deleted_objects.contains(&obj) {
                self.deleted_objects.push(obj);
            }
        }
    }

    fn new_entry(&mut self, n: Node) -> ApiResult<Entry> {
        let tag = if n.kind == "child_page" {
            "page"
        } else {
            "database"
        };
        if n.is_child_object()
            && let Some(id) = &n.id
        {
            if self.kept.contains(id) {
                return Err(ApiError::validation(format!(
                    "<{tag}> {id} appears twice in the page content."
                )));
            }
            if self.existing.contains(id) {
                return Ok(Entry::Move { id: id.clone() });
            }
            return Err(ApiError::validation(format!(
                "<{tag}> {id} is not a child of this page: only its own child pages and databases can be placed in its content."
            )));
        }
        if n.kind == "child_database" {
            return Err(ApiError::validation(
                "A <database> tag needs the url of an existing child database.",
            ));
        }
        let mut n = n;
        let mut children = Vec::new();
        for c in std::mem::take(&mut n.children) {
            children.push(self.new_entry(c)?);
        }
        // Child entries of a new block are all new or moved; keep them as nodes by
        // re-attaching the checked children.
        n.children = children
            .into_iter()
            .filter_map(|e| match e {
                Entry::New(c) => Some(c),
                Entry::Move { id } => {
                    let mut r = Node::new("child_page", Value::Null);
                    r.id = Some(id);
                    Some(r)
                }
                Entry::Keep { .. } => None,
            })
            .collect();
        Ok(Entry::New(n))
    }
}

fn collect_named(nodes: &[Node], out: &mut HashSet<String>) {
    for n in nodes {
        if n.is_child_object()
            && let Some(id) = &n.id
        {
            out.insert(id.clone());
        }
        collect_named(&n.children, out);
    }
}

fn collect_moves(plan: &[Entry]) -> Vec<String> {
    let mut out = Vec::new();
    for e in plan {
        match e {
            Entry::Move { id } => out.push(id.clone()),
            Entry::New(n) => collect_node_moves(n, &mut out),
            Entry::Keep { .. } => {}
        }
    }
    out
}

fn collect_node_moves(n: &Node, out: &mut Vec<String>) {
    if n.is_child_object()
        && let Some(id) = &n.id
    {
        out.push(id.clone());
    }
    for c in &n.children {
        collect_node_moves(c, out);
    }
}

/// Child pages and databases in the stored subtree of `id` (not counting `id`).
fn objects_under(s: &Store, id: &str, out: &mut HashSet<String>) {
    let Some(ids) = s.children.get(id) else {
        return;
    };
    for c in ids {
        if s.pages.get(c).is_some_and(|p| !p.in_trash)
            || s.databases.get(c).is_some_and(|d| !d.in_trash)
        {
            out.insert(c.clone());
        } else if s.blocks.get(c).is_some_and(|b| !b.in_trash) {
            objects_under(s, c, out);
        }
    }
}

fn write(s: &mut Store, w: &Writer, container: &str, plan: Vec<Entry>, created: &mut Vec<String>) {
    let mut ids = Vec::with_capacity(plan.len());
    for e in plan {
        match e {
            Entry::Keep { id } => ids.push(id),
            Entry::Move { id } => {
                place(s, w, container, &id);
                ids.push(id);
            }
            Entry::New(n) => {
                if let Some(id) = insert(s, w, container, n, created) {
                    ids.push(id);
                }
            }
        }
    }
    s.children.insert(container.to_string(), ids);
}

/// Makes an existing page or database a child of `container`.
fn place(s: &mut Store, w: &Writer, container: &str, id: &str) {
    let parent = if container == w.page {
        Parent::Page(container.to_string())
    } else {
        Parent::Block(container.to_string())
    };
    if let Some(p) = s.pages.get_mut(id) {
        p.parent = parent;
    }
}

/// Stores a new block (or child page) and its children under `container`; returns its
/// id (the caller lists it in the container). New blocks are added to `created`.
fn insert(
    s: &mut Store,
    w: &Writer,
    container: &str,
    n: Node,
    created: &mut Vec<String>,
) -> Option<String> {
    if n.is_child_object() {
        if let Some(id) = &n.id {
            place(s, w, container, id);
            return Some(id.clone());
        }
        let id = util::new_id();
        let title = n.data["title"].as_str().unwrap_or("").to_string();
        let parent = if container == w.page {
            Parent::Page(container.to_string())
        } else {
            Parent::Block(container.to_string())
        };
        s.pages.insert(
            id.clone(),
            Page {
                id: id.clone(),
                ws: w.ws.to_string(),
                parent,
                props: title_props(&title),
                created_time: w.now.to_string(),
                last_edited_time: w.now.to_string(),
                created_by: w.user.to_string(),
                last_edited_by: w.user.to_string(),
                in_trash: false,
                icon: None,
            },
        );
        s.page_order.push(id.clone());
        return Some(id);
    }
    if n.kind == "unknown" {
        return None;
    }
    let id = util::new_id();
    s.blocks.insert(
        id.clone(),
        Block {
            id: id.clone(),
            ws: w.ws.to_string(),
            parent: if container == w.page {
                Parent::Page(container.to_string())
            } else {
                Parent::Block(container.to_string())
            },
            kind: n.kind,
            data: n.data,
            created_time: w.now.to_string(),
            last_edited_time: w.now.to_string(),
            created_by: w.user.to_string(),
            in_trash: false,
        },
    );
    created.push(id.clone());
    let kids: Vec<String> = n
        .children
        .into_iter()
        .filter_map(|c| insert(s, w, &id, c, created))
        .collect();
    if !kids.is_empty() {
        s.children.insert(id.clone(), kids);
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(r: ApiResult<Edited>) -> String {
        r.map(|(t, _)| t)
            .unwrap_or_else(|e| panic!("{}", e.message))
    }

    #[test]
    fn edits_must_match_once_or_be_told_to_match_all() {
        let text = "a b a\n";
        let spans = vec![0..3, 3..5];
        let ok = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "b", "new_str": "c"}]),
        );
        assert_eq!(text_of(ok), "a c a\n");
        let none = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "z", "new_str": "c"}]),
        );
        assert!(none.unwrap_err().message.contains("not found"));
        let two = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "a", "new_str": "c"}]),
        );
        assert!(two.unwrap_err().message.contains("matches 2 times"));
        let all = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "a", "new_str": "c", "replace_all_matches": true}]),
        );
        assert_eq!(text_of(all), "c b c\n");
        // In order: the second edit sees the first one's result.
        let seq = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "b", "new_str": "x"}, {"old_str": "a x", "new_str": "y"}]),
        );
        assert_eq!(text_of(seq), "y a\n");
    }

    #[test]
    fn only_the_blocks_a_match_touches_are_rebuilt() {
        // Three blocks: "one" 0..3, "two" 5..8, "three" 10..15; separators belong to none.
        let text = "one\n\ntwo\n\nthree\n";
        let spans = [0..3, 5..8, 10..15];
        let (t, kept) = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "two", "new_str": "2"}]),
        )
        .unwrap();
        assert_eq!(t, "one\n\n2\n\nthree\n");
        assert_eq!(kept, [(0, 0..3), (2, 8..13)]);
        // One byte in common is enough: "o\n" touches "two" only.
        let (_, kept) = edit(
            text,
            &spans,
            &serde_json::json!([{"old_str": "o\n", "new_str": "o\n"}]),
        )
        .unwrap();
        assert_eq!(kept.iter().map(|k| k.0).collect::<Vec<_>>(), [0, 2]);
        // A match in the separators only rebuilds nothing.
        let (t, kept) = edit(
            "one\n\ntwo\n",
            &[0..3, 5..8],
            &serde_json::json!([{"old_str": "\n\n", "new_str": "\n\nmid\n\n"}]),
        )
        .unwrap();
        assert_eq!(t, "one\n\nmid\n\ntwo\n");
        assert_eq!(kept, [(0, 0..3), (1, 10..13)]);
    }
}
