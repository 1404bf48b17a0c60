//! Blocks a Markdown write would not give back: which they are, and where they sit in
//! the page's Markdown.
//!
//! Notion renders some blocks as plausible Markdown that its parser cannot turn back
//! into the same block (a table of contents as `[TOC]`, a synced block as its plain
//! content, a bookmark or an embed as a link, a link to a page as a mention, a file
//! hosted by Notion as a signed URL that a write strips, …): a write that covers one
//! rebuilds it as something else, with a new id (field reports in
//! `crates/ntn-sandbox/README.md`'s fidelity table). The Markdown alone cannot tell
//! them apart from ordinary text, so the block API is asked: the page's block tree is
//! walked (`GET /v1/blocks/{id}/children`, following `has_children`), and each top-level
//! block holding a lossy block is read as Markdown by its id to find its place.
//!
//! Notion rebuilds, for a targeted edit, the top-level blocks whose text an edit touches
//! (the rule the sandbox follows too), so the guard works on top-level blocks: a hunk
//! that touches the span of one holding a lossy block would rebuild it.

use std::ops::Range;

use serde_json::Value;

use super::client::PageClient;
use super::read::normalize_urls;
use crate::error::Result;

/// A block that a write covering it would turn into something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossyBlock {
    pub id: String,
    /// Notion's block type (`bookmark`, `table_of_contents`, …).
    pub kind: String,
    /// What a write makes of it.
    pub why: &'static str,
    /// The top-level block it is in (itself when it is one).
    pub top: String,
}

/// The lossy blocks of a page and the spans (in the server's Markdown) of the top-level
/// blocks that hold them.
#[derive(Clone, Debug, Default)]
pub struct Lossy {
    pub blocks: Vec<LossyBlock>,
    /// For each top-level block holding lossy blocks: its id and its byte range in the
    /// page's Markdown (`None`: it could not be found there, so any write may touch it).
    pub spans: Vec<(String, Option<Range<usize>>)>,
}

impl Lossy {
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The lossy blocks a write of `range` (bytes of the page's Markdown) may rebuild:
    /// those in a top-level block whose span it shares a byte with or touches (text
    /// replaced right after a block can run on from it), or whose span is unknown.
    pub fn touched_by(&self, range: &Range<usize>) -> Vec<&LossyBlock> {
        let tops: Vec<&str> = self
            .spans
            .iter()
            .filter(|(_, span)| match span {
                None => true,
                Some(s) => s.start <= range.end && range.start <= s.end,
            })
            .map(|(id, _)| id.as_str())
            .collect();
        self.blocks
            .iter()
            .filter(|b| tops.contains(&b.top.as_str()))
            .collect()
    }

    /// The 1-based line of `page` where a lossy block's top-level block starts.
    pub fn line_of(&self, block: &LossyBlock, page: &str) -> Option<usize> {
        let span = self
            .spans
            .iter()
            .find(|(id, _)| *id == block.top)?
            .1
            .clone()?;
        Some(page[..span.start.min(page.len())].matches('\n').count() + 1)
    }
}

/// What a write makes of a block of this type, when it does not give it back.
pub fn lossy_kind(block: &Value) -> Option<&'static str> {
    let kind = block["type"].as_str()?;
    let data = &block[kind];
    Some(match kind {
        "table_of_contents" => "comes back as a \"[TOC]\" paragraph",
        "synced_block" => "comes back as plain blocks, no longer synced",
        "bookmark" | "embed" | "link_preview" => "comes back as a paragraph with a link",
        "link_to_page" => "comes back as a paragraph with a page mention",
        "breadcrumb" => "comes back as a paragraph",
        "unsupported" => "has no Markdown: it is lost",
        "image" | "video" | "audio" | "file" | "pdf" if data["type"] == "file" => {
            "a file hosted by Notion: its signed URL is stripped on write, the file is lost"
        }
        _ if has_inline_equation(data) => "its inline equation comes back as escaped text",
        _ => return None,
    })
}

fn has_inline_equation(data: &Value) -> bool {
    data["rich_text"]
        .as_array()
        .is_some_and(|items| items.iter().any(|t| t["type"] == "equation"))
}

impl PageClient {
    /// The children of a block (or page), every page of them.
    pub fn block_children(&self, id: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let first = format!("/v1/blocks/{id}/children?page_size=100");
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                None => first.clone(),
                Some(c) => crate::notion::paginate::with_query_cursor(&first, c),
            };
            let page = self.notion().get(&path)?;
            if let Some(items) = page["results"].as_array() {
                out.extend(items.iter().cloned());
            }
            match page["next_cursor"].as_str() {
                Some(c) if page["has_more"] == true && !c.is_empty() => {
                    cursor = Some(c.to_string());
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// Walks the page's blocks for lossy ones and places the top-level blocks that hold
    /// them in `markdown` (the page's Markdown as the server sent it).
    pub fn lossy_blocks(&self, page_id: &str, markdown: &str) -> Result<Lossy> {
        let mut lossy = Lossy::default();
        let top_level = self.block_children(page_id)?;
        // (block, top-level id)
        let mut queue: Vec<(Value, String)> = top_level
            .iter()
            .rev()
            .map(|b| (b.clone(), b["id"].as_str().unwrap_or("").to_string()))
            .collect();
        while let Some((block, top)) = queue.pop() {
            let id = block["id"].as_str().unwrap_or("").to_string();
            if let Some(why) = lossy_kind(&block) {
                lossy.blocks.push(LossyBlock {
                    id: id.clone(),
                    kind: block["type"].as_str().unwrap_or("").to_string(),
                    why,
                    top: top.clone(),
                });
            }
            let kind = block["type"].as_str().unwrap_or("");
            if block["has_children"] == true && kind != "child_page" && kind != "child_database" {
                for child in self.block_children(&id)?.into_iter().rev() {
                    queue.push((child, top.clone()));
                }
            }
        }
        let mut tops: Vec<String> = Vec::new();
        for b in &lossy.blocks {
            if !tops.contains(&b.top) {
                tops.push(b.top.clone());
            }
        }
        let (norm, map) = normalized_with_map(markdown);
        let mut from = 0;
        for top in tops {
            let span = match self.markdown(&top) {
                Ok(md) => {
                    let own = normalize_urls(md.markdown.trim_end()).into_owned();
                    find_block(&norm, &own, from).map(|r| {
                        from = r.end;
                        map_back(&map, r, markdown.len())
                    })
                }
                Err(_) => None,
            };
            lossy.spans.push((top, span));
        }
        Ok(lossy)
    }
}

/// Where `block` (a block's own Markdown) starts at a line start of `page`, at or after
/// `from` (else anywhere).
fn find_block(page: &str, block: &str, from: usize) -> Option<Range<usize>> {
    if block.is_empty() {
        return None;
    }
    let at_line_start = |i: usize| i == 0 || page.as_bytes().get(i - 1) == Some(&b'\n');
    let search = |start: usize| {
        page[start..]
            .match_indices(block)
            .map(|(i, _)| start + i)
            .find(|&i| at_line_start(i))
    };
    let start = search(from.min(page.len())).or_else(|| search(0))?;
    Some(start..start + block.len())
}

/// `text` with signed URLs' signatures removed, and for each byte of the result the
/// byte of `text` it came from.
fn normalized_with_map(text: &str) -> (String, Vec<usize>) {
    let norm = normalize_urls(text);
    if norm.len() == text.len() {
        return (norm.into_owned(), (0..text.len()).collect());
    }
    // Walk both: the normalised text is the original with some query strings cut out.
    let (t, n) = (text.as_bytes(), norm.as_bytes());
    let mut map = Vec::with_capacity(n.len());
    let (mut i, mut j) = (0, 0);
    while j < n.len() && i < t.len() {
        if t[i] == n[j] {
            map.push(i);
            i += 1;
            j += 1;
        } else {
            // Inside a cut query string: skip it in the original.
            i += 1;
        }
    }
    (norm.into_owned(), map)
}

fn map_back(map: &[usize], r: Range<usize>, len: usize) -> Range<usize> {
    let start = map.get(r.start).copied().unwrap_or(len);
    let end = if r.end == 0 {
        start
    } else {
        map.get(r.end - 1).map_or(len, |e| e + 1)
    };
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lossy_types_are_named_and_ordinary_ones_are_not() {
        assert!(lossy_kind(&json!({"type": "bookmark", "bookmark": {"url": "u"}})).is_some());
        assert!(
            lossy_kind(&json!({"type": "table_of_contents", "table_of_contents": {}})).is_some()
        );
        assert!(
            lossy_kind(&json!({"type": "image", "image": {"type": "file", "file": {"url": "u"}}}))
                .is_some()
        );
        assert!(
            lossy_kind(
                &json!({"type": "image", "image": {"type": "external", "external": {"url": "u"}}})
            )
            .is_none()
        );
        assert!(
            lossy_kind(&json!({"type": "paragraph", "paragraph": {"rich_text": [
                {"type": "text"}, {"type": "equation"}]}}))
            .is_some()
        );
        assert!(
            lossy_kind(
                &json!({"type": "paragraph", "paragraph": {"rich_text": [{"type": "text"}]}})
            )
            .is_none()
        );
    }

    #[test]
    fn blocks_are_found_at_line_starts_through_rotating_signatures() {
        let page = "Intro\n\n![](https://prod-files-secure.s3.us-west-2.amazonaws.com/x/a.png?X-Amz-Signature=abc&X-Amz-Credential=1)\n\n[TOC]\n\nsee [TOC]\n";
        let (norm, map) = normalized_with_map(page);
        let r = find_block(&norm, "[TOC]", 0).unwrap();
        let r = map_back(&map, r, page.len());
        assert_eq!(&page[r.clone()], "[TOC]");
        let img = normalize_urls(
            "![](https://prod-files-secure.s3.us-west-2.amazonaws.com/x/a.png?X-Amz-Signature=zzz&X-Amz-Credential=2)",
        )
        .into_owned();
        let r = map_back(&map, find_block(&norm, &img, 0).unwrap(), page.len());
        assert!(page[r].starts_with("![](https://prod-files"));
        let lossy = Lossy {
            blocks: vec![LossyBlock {
                id: "b".into(),
                kind: "table_of_contents".into(),
                why: "x",
                top: "b".into(),
            }],
            spans: vec![("b".into(), Some(7..12))],
        };
        assert_eq!(lossy.touched_by(&(0..5)).len(), 0);
        assert_eq!(lossy.touched_by(&(5..8)).len(), 1);
        assert_eq!(lossy.touched_by(&(12..14)).len(), 1, "touching counts");
        assert_eq!(lossy.touched_by(&(13..14)).len(), 0);
    }
}
