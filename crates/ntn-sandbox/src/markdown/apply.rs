//! Writing Markdown into the store: the two edit operations of
//! `PATCH /v1/pages/{id}/markdown` and the content of a new page.
//!
//! A replace compares the blocks of a container with the new ones by their own Markdown
//! ([`render::key`]): a block whose text is kept keeps its id (and the same comparison
//! goes on among its children); the others are trashed and new blocks created. Child
//! pages and databases are kept when the new Markdown names them (`<page url=…>`), even
//! elsewhere on the page; one that would go away is a deletion, refused unless
//! `allow_deleting_content`. `<unknown/>` tags in new Markdown keep nothing: the blocks
//! they stand for are lost, as with Notion (a targeted edit keeps them).
//! Everything is checked before anything changes.

use super::render::{self, key};
use super::{Node, tree};
use crate::errors::{ApiError, ApiResult};
use crate::model::{Block, Page, Parent};
use crate::props::title_props;
use crate::store::Store;
use crate::util;
use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};
use std::collections::HashSet;

/// Who writes, and when.
pub struct Writer<'a> {
    pub ws: &'a str,
    pub user: &'a str,
    pub now: &'a str,
    /// The page being written (new child pages go under it or its blocks).
    pub page: &'a str,
}

enum Entry {
    /// An existing block, page or database kept here; `children`: the plan for its
    /// children (`None`: left as they are).
    Keep {
        id: String,
        children: Option<Vec<Entry>>,
    },
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
    keep_unknown: bool,
    trashed: Vec<String>,
    deleted_objects: Vec<String>,
}

/// Replaces the content of `container` (a page or block) with `new`.
pub fn replace(
    s: &mut Store,
    w: &Writer,
    container: &str,
    new: Vec<Node>,
    allow_deleting: bool,
    keep_unknown: bool,
) -> ApiResult<()> {
    let old = tree(s, container);
    let mut named = HashSet::new();
    collect_named(&new, &mut named);
    let mut existing = HashSet::new();
    objects_under(s, container, &mut existing);
    let mut p = Planner {
        s,
        named,
        existing,
        keep_unknown,
        trashed: Vec::new(),
        deleted_objects: Vec::new(),
    };
    let plan = p.plan(&old, new)?;
    if !p.deleted_objects.is_empty() && !allow_deleting {
        let n = p.deleted_objects.len();
        return Err(ApiError::validation(format!(
            "This edit would delete {n} child page(s) or database(s). Set `allow_deleting_content` to true to allow it."
        )));
    }
    let trashed = std::mem::take(&mut p.trashed);
    let deleted = std::mem::take(&mut p.deleted_objects);
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
    write(s, w, container, plan);
    Ok(())
}

/// Inserts blocks at the end of a container (a new page's content).
pub fn append(s: &mut Store, w: &Writer, container: &str, nodes: Vec<Node>) {
    let ids: Vec<String> = nodes
        .into_iter()
        .filter(|n| n.kind != "unknown")
        .filter_map(|n| insert(s, w, container, n))
        .collect();
    s.children
        .entry(container.to_string())
        .or_default()
        .extend(ids);
}

/// Applies `content_updates` to the Markdown of a page, in order, each checked to match
/// (once, or at all with `replace_all_matches`) before anything changes.
pub fn update_text(current: &str, updates: &Value) -> ApiResult<String> {
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
    let mut text = current.to_string();
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
        let count = text.matches(old).count();
        if count == 0 {
            return Err(ApiError::validation(format!(
                "content_updates[{i}]: old_str was not found in the page content."
            )));
        }
        if count > 1 && !all {
            return Err(ApiError::validation(format!(
                "content_updates[{i}]: old_str matches {count} times in the page content. Make it unique or set `replace_all_matches` to true."
            )));
        }
        text = if all {
            text.replace(old, new)
        } else {
            text.replacen(old, new, 1)
        };
    }
    Ok(text)
}

impl Planner<'_> {
    fn plan(&mut self, old: &[Node], new: Vec<Node>) -> ApiResult<Vec<Entry>> {
        let new: Vec<Node> = new
            .into_iter()
            .filter(|n| n.kind != "unknown" || (self.keep_unknown && n.id.is_some()))
            .collect();
        let old_keys: Vec<String> = old.iter().map(key).collect();
        let new_keys: Vec<String> = new.iter().map(key).collect();
        let ops = capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys);
        let mut new_iter = new.into_iter().map(Some).collect::<Vec<_>>();
        let mut out = Vec::new();
        for op in ops {
            match op {
                DiffOp::Equal {
                    old_index,
                    new_index,
                    len,
                } => {
                    for k in 0..len {
                        let o = &old[old_index + k];
                        let n = new_iter[new_index + k].take();
                        let children = match n {
                            Some(n)
                                if o.kind != "table"
                                    && !o.is_child_object()
                                    && !o.hidden
                                    && n.kind != "unknown" =>
                            {
                                Some(self.plan(&o.children, n.children)?)
                            }
                            _ => None,
                        };
                        out.push(Entry::Keep {
                            id: o.id.clone().unwrap_or_default(),
                            children,
                        });
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    for o in &old[old_index..old_index + old_len] {
                        self.delete(o);
                    }
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    for n in new_iter[new_index..new_index + new_len].iter_mut() {
                        if let Some(n) = n.take() {
                            out.push(self.new_entry(n)?);
                        }
                    }
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    for o in &old[old_index..old_index + old_len] {
                        self.delete(o);
                    }
                    for n in new_iter[new_index..new_index + new_len].iter_mut() {
                        if let Some(n) = n.take() {
                            out.push(self.new_entry(n)?);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

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
        if n.is_child_object()
            && let Some(id) = &n.id
        {
            if self.existing.contains(id) {
                return Ok(Entry::Move { id: id.clone() });
            }
            return Err(ApiError::validation(format!(
                "<{}> {id} is not a child of this page: only its own child pages and databases can be placed in its content.",
                if n.kind == "child_page" {
                    "page"
                } else {
                    "database"
                }
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
            Entry::Keep {
                children: Some(c), ..
            } => out.extend(collect_moves(c)),
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

fn write(s: &mut Store, w: &Writer, container: &str, plan: Vec<Entry>) {
    let mut ids = Vec::with_capacity(plan.len());
    for e in plan {
        match e {
            Entry::Keep { id, children } => {
                if let Some(c) = children {
                    write(s, w, &id, c);
                }
                ids.push(id);
            }
            Entry::Move { id } => {
                place(s, w, container, &id);
                ids.push(id);
            }
            Entry::New(n) => {
                if let Some(id) = insert(s, w, container, n) {
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
/// id (the caller lists it in the container).
fn insert(s: &mut Store, w: &Writer, container: &str, n: Node) -> Option<String> {
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
    let kids: Vec<String> = n
        .children
        .into_iter()
        .filter_map(|c| insert(s, w, &id, c))
        .collect();
    if !kids.is_empty() {
        s.children.insert(id.clone(), kids);
    }
    Some(id)
}

/// The Markdown a targeted edit works on: everything, unsigned, no limit.
pub fn full_text(s: &Store, container: &str, page: &str) -> String {
    let opts = render::Options {
        limit: usize::MAX,
        sign: false,
        page_id: page.to_string(),
    };
    render::markdown(&tree(s, container), &opts).markdown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_must_match_once_or_be_told_to_match_all() {
        let text = "a b a\n";
        let ok = update_text(text, &serde_json::json!([{"old_str": "b", "new_str": "c"}]));
        assert_eq!(ok.unwrap(), "a c a\n");
        let none = update_text(text, &serde_json::json!([{"old_str": "z", "new_str": "c"}]));
        assert!(none.unwrap_err().message.contains("not found"));
        let two = update_text(text, &serde_json::json!([{"old_str": "a", "new_str": "c"}]));
        assert!(two.unwrap_err().message.contains("matches 2 times"));
        let all = update_text(
            text,
            &serde_json::json!([{"old_str": "a", "new_str": "c", "replace_all_matches": true}]),
        );
        assert_eq!(all.unwrap(), "c b c\n");
        // In order: the second edit sees the first one's result.
        let seq = update_text(
            text,
            &serde_json::json!([{"old_str": "b", "new_str": "x"}, {"old_str": "a x", "new_str": "y"}]),
        );
        assert_eq!(seq.unwrap(), "y a\n");
    }
}
