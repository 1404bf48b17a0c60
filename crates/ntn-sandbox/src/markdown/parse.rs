//! Notion-flavoured Markdown to blocks, on pulldown-cmark's events (CommonMark with GFM
//! tables, task lists, strikethrough and `$`/`$$` math). Notion's own tags come to us as
//! HTML: the container tags (`<callout>`, `<details>`, `<columns>`, `<column>`) open and
//! close frames around the blocks between them; the block tags (`<page>`, `<database>`,
//! `<unknown/>`, `<empty-block/>`, `<video>`, `<audio>`, `<file>`, `<pdf>`) stand for one
//! block; inline tags (mentions, spans, `<br>`) are rich text.
//!
//! What CommonMark has no words for is handled line by line first (`prepare`): block
//! attributes at the end of a line (`{color="red"}`, `{toggle="true"}`) become an inline
//! tag the builder reads, and the tab-indented children under a toggle heading are parsed
//! on their own. What the format cannot keep is read as what it looks like: `[TOC]` is a
//! paragraph, a link line is a paragraph with a link, inline `$x$` is text, a media block's
//! colour is dropped and a hosted (signed) file URL written back is emptied, as Notion does.

use super::Node;
use super::inline::{self, Inline, Segment};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value, json};

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
}

/// Parses Markdown into blocks.
pub fn parse(md: &str) -> Vec<Node> {
    let mut b = Builder::new();
    for piece in prepare(md) {
        match piece {
            Piece::Text(t) => {
                for ev in Parser::new_ext(&t, options()) {
                    b.event(ev);
                }
            }
            Piece::Toggle { line, body } => {
                b.flush_implicit();
                let children = parse(&body);
                let mut nodes = parse(&line);
                if let Some(h) = nodes.last_mut() {
                    h.children = children;
                }
                for n in nodes {
                    b.attach(n, false);
                }
            }
        }
    }
    b.finish()
}

/// A stretch of Markdown pulldown-cmark reads, or a toggle heading (its line) with its
/// tab-indented children (one tab taken off each line).
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Toggle { line: String, body: String },
}

/// The line-by-line pass before pulldown-cmark (outside code fences): a line ending with
/// block attributes gets [`inline::ATTRS_TAG`] in their place, and a heading line with
/// `toggle="true"` followed by tab-indented lines is cut out with them.
fn prepare(md: &str) -> Vec<Piece> {
    let lines: Vec<&str> = md.split_inclusive('\n').collect();
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut fence: Option<(char, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        i += 1;
        let line = raw.trim_end_matches(['\n', '\r']);
        let eol = &raw[line.len()..];
        let t = line.trim_start();
        if let Some((c, n)) = fence {
            let run = t.chars().take_while(|x| *x == c).count();
            if run >= n && t[run..].trim().is_empty() {
                fence = None;
            }
            cur.push_str(raw);
            continue;
        }
        if let Some(c) = ['`', '~']
            .into_iter()
            .find(|c| t.starts_with(&c.to_string().repeat(3)))
        {
            fence = Some((c, t.chars().take_while(|x| *x == c).count()));
            cur.push_str(raw);
            continue;
        }
        let Some((text, attrs)) = split_attrs(line) else {
            cur.push_str(raw);
            continue;
        };
        let marked = format!("{text}<{} {attrs}/>{eol}", inline::ATTRS_TAG);
        if line.starts_with('#')
            && inline::attrs(&format!("<x {attrs}>"))
                .get("toggle")
                .is_some_and(|v| v == "true")
        {
            let mut end = i;
            let mut j = i;
            while j < lines.len() {
                if lines[j].starts_with('\t') {
                    j += 1;
                    end = j;
                } else if lines[j].trim().is_empty() {
                    j += 1;
                } else {
                    break;
                }
            }
            if end > i {
                let body: String = lines[i..end]
                    .iter()
                    .map(|l| l.strip_prefix('\t').unwrap_or(l))
                    .collect();
                pieces.push(Piece::Text(std::mem::take(&mut cur)));
                pieces.push(Piece::Toggle { line: marked, body });
                i = end;
                continue;
            }
        }
        cur.push_str(&marked);
    }
    pieces.push(Piece::Text(cur));
    pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
    pieces
}

/// A line ending with block attributes (`Text {color="red"}`): the text before them and
/// the attributes (`color="red"`). Only `color` and `toggle` are block attributes.
fn split_attrs(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_end();
    if !t.ends_with('}') || t.ends_with("\\}") {
        return None;
    }
    let open = t.rfind('{')?;
    if t[..open].ends_with('\\') {
        return None;
    }
    let inner = &t[open + 1..t.len() - 1];
    let a = inline::attrs(&format!("<x {inner}>"));
    let ok = !a.is_empty()
        && a.iter()
            .all(|(k, v)| matches!(k.as_str(), "color" | "toggle") && v.is_string());
    ok.then(|| (t[..open].trim_end(), inner))
}

/// The inline content of a fragment (a summary, a title) as segments.
pub fn parse_inline(s: &str) -> Vec<Segment> {
    let mut inl = Inline::new();
    for ev in Parser::new_ext(s, options()) {
        feed(&mut inl, &ev);
    }
    inl.finish()
}

/// Gives an inline event to `inl`; false when the event is not inline.
fn feed(inl: &mut Inline, ev: &Event) -> bool {
    match ev {
        Event::Text(t) => inl.text(t),
        Event::Code(t) => inl.code(t),
        Event::InlineHtml(h) | Event::Html(h) => inl.html(h),
        Event::SoftBreak | Event::HardBreak => inl.line_break(),
        Event::InlineMath(t) => inl.text(&format!("${t}$")),
        Event::DisplayMath(t) => inl.display_math(t),
        Event::FootnoteReference(t) => inl.text(t),
        Event::Start(Tag::Emphasis) => inl.emphasis(true),
        Event::End(TagEnd::Emphasis) => inl.emphasis(false),
        Event::Start(Tag::Strong) => inl.strong(true),
        Event::End(TagEnd::Strong) => inl.strong(false),
        Event::Start(Tag::Strikethrough) => inl.strikethrough(true),
        Event::End(TagEnd::Strikethrough) => inl.strikethrough(false),
        Event::Start(Tag::Link { dest_url, .. }) => inl.link(Some(dest_url)),
        Event::End(TagEnd::Link) => inl.link(None),
        Event::Start(Tag::Image { dest_url, .. }) => inl.image(Some(dest_url)),
        Event::End(TagEnd::Image) => inl.image(None),
        _ => return false,
    }
    true
}

#[derive(Debug)]
enum Kind {
    Root,
    Item {
        kind: &'static str,
        checked: bool,
    },
    Quote,
    Callout {
        icon: Option<String>,
        color: Option<String>,
    },
    Toggle,
    Columns,
    Column,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    text: Option<Vec<Value>>,
    /// The colour of the text's line (`{color="…"}`).
    color: Option<String>,
    children: Vec<Node>,
}

impl Frame {
    fn new(kind: Kind) -> Frame {
        Frame {
            kind,
            text: None,
            color: None,
            children: Vec::new(),
        }
    }

    fn into_node(self) -> Node {
        let text = self.text.unwrap_or_default();
        let mut node = match self.kind {
            Kind::Root => Node::text("paragraph", text),
            Kind::Item { kind, checked } => {
                let mut n = Node::text(kind, text);
                if kind == "to_do" {
                    n.data["checked"] = json!(checked);
                }
                if let Some(c) = self.color {
                    n.data["color"] = json!(c);
                }
                n
            }
            Kind::Columns => Node::new("column_list", json!({})),
            Kind::Column => Node::new("column", json!({})),
            Kind::Quote => Node::text("quote", text),
            Kind::Toggle => Node::text("toggle", text),
            Kind::Callout { icon, color } => Node::new(
                "callout",
                json!({
                    "rich_text": text,
                    "icon": icon.map(|e| json!({"type": "emoji", "emoji": e})),
                    "color": color.unwrap_or_else(|| "default".into()),
                }),
            ),
        };
        node.children = self.children;
        node
    }
}

enum Target {
    Paragraph,
    /// Text of a tight list item (no paragraph events).
    Implicit,
    Heading(usize),
    Cell,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<Vec<Value>>>,
    row: Vec<Vec<Value>>,
}

struct Builder {
    frames: Vec<Frame>,
    lists: Vec<bool>,
    inline: Option<(Target, Inline)>,
    code: Option<(String, String)>,
    html: Option<String>,
    table: Option<Table>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            frames: vec![Frame::new(Kind::Root)],
            lists: Vec::new(),
            inline: None,
            code: None,
            html: None,
            table: None,
        }
    }

    fn finish(mut self) -> Vec<Node> {
        self.flush_implicit();
        while self.frames.len() > 1 {
            self.pop();
        }
        self.frames.pop().map(|f| f.children).unwrap_or_default()
    }

    fn event(&mut self, ev: Event) {
        if let Some((_, content)) = &mut self.code {
            match ev {
                Event::Text(t) => content.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.end_code(),
                _ => {}
            }
            return;
        }
        if let Some(h) = &mut self.html {
            match ev {
                Event::Html(t) | Event::Text(t) => h.push_str(&t),
                Event::End(TagEnd::HtmlBlock) => {
                    let h = self.html.take().unwrap_or_default();
                    self.html_block(&h);
                }
                _ => {}
            }
            return;
        }
        if let Some((_, inl)) = &mut self.inline
            && feed(inl, &ev)
        {
            return;
        }
        match ev {
            Event::Start(Tag::Paragraph) => {
                self.flush_implicit();
                self.inline = Some((Target::Paragraph, Inline::new()));
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some((_, inl)) = self.inline.take() {
                    let node = block_of(inl);
                    self.attach(node, true);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush_implicit();
                self.inline = Some((Target::Heading(level as usize), Inline::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((Target::Heading(level), mut inl)) = self.inline.take() {
                    let kind = format!("heading_{}", level.clamp(1, 3));
                    let attrs = std::mem::take(&mut inl.attrs);
                    let mut node = Node::text(&kind, inline::to_rich(inl.finish()));
                    node.data["is_toggleable"] = json!(false);
                    with_attrs(&mut node, &attrs);
                    self.attach(node, false);
                }
            }
            Event::Start(Tag::List(first)) => {
                self.flush_implicit();
                self.lists.push(first.is_some());
            }
            Event::End(TagEnd::List(_)) => {
                self.flush_implicit();
                self.lists.pop();
            }
            Event::Start(Tag::Item) => {
                self.flush_implicit();
                let kind = if self.lists.last() == Some(&true) {
                    "numbered_list_item"
                } else {
                    "bulleted_list_item"
                };
                self.frames.push(Frame::new(Kind::Item {
                    kind,
                    checked: false,
                }));
            }
            Event::TaskListMarker(checked) => {
                if let Some(Frame {
                    kind: Kind::Item { kind, checked: c },
                    ..
                }) = self.frames.last_mut()
                {
                    *kind = "to_do";
                    *c = checked;
                }
            }
            Event::End(TagEnd::Item) => {
                self.flush_implicit();
                self.close_until(|k| matches!(k, Kind::Item { .. }));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                self.flush_implicit();
                self.frames.push(Frame::new(Kind::Quote));
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                self.flush_implicit();
                self.close_until(|k| matches!(k, Kind::Quote));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                self.flush_implicit();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.trim().to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Event::Rule => {
                self.flush_implicit();
                self.attach(Node::new("divider", json!({})), false);
            }
            Event::Start(Tag::HtmlBlock) => {
                self.flush_implicit();
                self.html = Some(String::new());
            }
            Event::Start(Tag::Table(_)) => {
                self.flush_implicit();
                self.table = Some(Table::default());
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                if let Some(t) = &mut self.table {
                    t.row = Vec::new();
                }
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(t) = &mut self.table {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
            }
            Event::Start(Tag::TableCell) => self.inline = Some((Target::Cell, Inline::new())),
            Event::End(TagEnd::TableCell) => {
                if let (Some((_, inl)), Some(t)) = (self.inline.take(), &mut self.table) {
                    t.row.push(inline::to_rich(inl.finish()));
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = self.table.take() {
                    self.attach(table_node(t.rows), false);
                }
            }
            ev => {
                // Inline content outside a paragraph: the text of a tight list item.
                let mut inl = Inline::new();
                if feed(&mut inl, &ev) {
                    self.inline = Some((Target::Implicit, inl));
                }
            }
        }
    }

    fn end_code(&mut self) {
        if let Some((lang, mut content)) = self.code.take() {
            if content.ends_with('\n') {
                content.pop();
            }
            let language = if lang.is_empty() {
                "plain text".to_string()
            } else {
                lang
            };
            let node = Node::new(
                "code",
                json!({
                    "rich_text": if content.is_empty() { json!([]) } else { json!([crate::util::rich_text(&content)]) },
                    "caption": [],
                    "language": language,
                }),
            );
            self.attach(node, false);
        }
    }

    fn flush_implicit(&mut self) {
        if matches!(self.inline, Some((Target::Implicit, _)))
            && let Some((_, inl)) = self.inline.take()
        {
            let node = block_of(inl);
            self.attach(node, true);
        }
    }

    /// Adds a block to the innermost frame; the first paragraph of a list item, quote or
    /// callout is its text.
    fn attach(&mut self, node: Node, text_candidate: bool) {
        let Some(top) = self.frames.last_mut() else {
            return;
        };
        let takes_text = matches!(
            top.kind,
            Kind::Item { .. } | Kind::Quote | Kind::Callout { .. }
        );
        if text_candidate
            && takes_text
            && top.text.is_none()
            && top.children.is_empty()
            && node.kind == "paragraph"
        {
            top.text = Some(
                node.data["rich_text"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            top.color = node.data["color"]
                .as_str()
                .filter(|c| *c != "default")
                .map(str::to_string);
            return;
        }
        top.children.push(node);
    }

    /// Closes the innermost frame into a block of its parent.
    fn pop(&mut self) {
        if self.frames.len() <= 1 {
            return;
        }
        if let Some(f) = self.frames.pop() {
            let node = f.into_node();
            self.attach(node, false);
        }
    }

    /// Closes frames up to and including the innermost one of a kind (none when there is
    /// no such frame: a stray closing tag).
    fn close_until(&mut self, pred: impl Fn(&Kind) -> bool) {
        let Some(pos) = self.frames.iter().rposition(|f| pred(&f.kind)) else {
            return;
        };
        if pos == 0 {
            return;
        }
        while self.frames.len() > pos {
            self.pop();
        }
    }

    /// An HTML block: Notion's tags, line by line; other lines are Markdown.
    fn html_block(&mut self, html: &str) {
        for line in html.lines() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            match inline::tag_name(t).as_str() {
                "callout" => {
                    let a = inline::attrs(t);
                    let get = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
                    self.frames.push(Frame::new(Kind::Callout {
                        icon: get("icon"),
                        color: get("color"),
                    }));
                }
                "/callout" => self.close_until(|k| matches!(k, Kind::Callout { .. })),
                "details" => self.frames.push(Frame::new(Kind::Toggle)),
                "columns" => self.frames.push(Frame::new(Kind::Columns)),
                "/columns" => self.close_until(|k| matches!(k, Kind::Columns)),
                "column" => self.frames.push(Frame::new(Kind::Column)),
                "/column" => self.close_until(|k| matches!(k, Kind::Column)),
                "/details" => self.close_until(|k| matches!(k, Kind::Toggle)),
                "summary" => {
                    let inner = t
                        .find('>')
                        .map(|i| &t[i + 1..])
                        .unwrap_or("")
                        .trim_end()
                        .trim_end_matches("</summary>");
                    let rich = inline::to_rich(parse_inline(inner));
                    match self.frames.last_mut() {
                        Some(f) if matches!(f.kind, Kind::Toggle) && f.text.is_none() => {
                            f.text = Some(rich)
                        }
                        _ => self.attach(Node::text("paragraph", rich), true),
                    }
                }
                "empty-block" => self.attach(Node::text("paragraph", Vec::new()), true),
                "unknown" | "page" | "database" => {
                    let node = block_of_segments(parse_inline(t));
                    self.attach(node, false);
                }
                _ if t.starts_with('<') => {
                    // Some other HTML: kept as the text it is.
                    let node = Node::text("paragraph", vec![crate::util::rich_text(t)]);
                    self.attach(node, true);
                }
                _ => {
                    for node in parse(t) {
                        self.attach(node, true);
                    }
                }
            }
        }
    }
}

/// The block a paragraph (its inline content and block attributes) stands for.
fn block_of(mut inl: Inline) -> Node {
    let attrs = std::mem::take(&mut inl.attrs);
    let mut node = block_of_segments(inl.finish());
    with_attrs(&mut node, &attrs);
    node
}

/// Sets the block attributes a block type keeps: `color` on text blocks (media blocks
/// drop theirs, as Notion does), `toggle` on headings.
fn with_attrs(node: &mut Node, attrs: &Map<String, Value>) {
    let text_block = node.kind == "paragraph" || node.kind.starts_with("heading_");
    if let Some(c) = attrs.get("color").and_then(Value::as_str)
        && text_block
    {
        node.data["color"] = json!(c);
    }
    if node.kind.starts_with("heading_") {
        node.data["is_toggleable"] = json!(attrs.get("toggle").is_some_and(|v| v == "true"));
    }
}

/// The block a paragraph's segments stand for: an image or other media, an equation, a
/// child page or database, an unknown block, or a paragraph.
fn block_of_segments(segments: Vec<Segment>) -> Node {
    if let [one] = segments.as_slice() {
        match one {
            Segment::Image { url, alt } => return media("image", url, alt),
            Segment::Media { kind, url, caption } => return media(kind, url, caption),
            Segment::Equation(e) => return Node::new("equation", json!({"expression": e.trim()})),
            Segment::Object { kind, id, title } => {
                let mut n = Node::new(kind, json!({"title": title}));
                n.id = id.clone();
                return n;
            }
            Segment::Unknown(id) => {
                let mut n = Node::new("unknown", json!({}));
                n.id = id.clone();
                return n;
            }
            Segment::Rich(_) => {}
        }
    }
    Node::text("paragraph", inline::to_rich(segments))
}

/// A media block (image, video, audio, file, pdf) with an external URL. One of Notion's
/// own (signed) hosted URLs written back is emptied, as Notion does.
fn media(kind: &str, url: &str, caption: &str) -> Node {
    let caption = if caption.is_empty() {
        json!([])
    } else {
        json!([crate::util::rich_text(caption)])
    };
    let url = if crate::files::is_hosted(url) {
        ""
    } else {
        url
    };
    Node::new(
        kind,
        json!({"type": "external", "external": {"url": url}, "caption": caption}),
    )
}

fn table_node(rows: Vec<Vec<Vec<Value>>>) -> Node {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut t = Node::new(
        "table",
        json!({"table_width": width, "has_column_header": true, "has_row_header": false}),
    );
    t.children = rows
        .into_iter()
        .map(|mut cells| {
            cells.resize(width, Vec::new());
            Node::new("table_row", json!({ "cells": cells }))
        })
        .collect();
    t
}

#[cfg(test)]
mod tests {
    use super::super::render::{self, Options};
    use super::*;
    use crate::files::FILE_HOST;

    fn roundtrip(md: &str) {
        let nodes = parse(md);
        let opts = Options {
            limit: usize::MAX,
            sign: false,
            files: Default::default(),
            page_id: "a1000000-0000-4000-8000-000000000001".into(),
        };
        let again = render::markdown(&nodes, &opts).markdown;
        assert_eq!(again, md, "nodes: {nodes:#?}");
    }

    #[test]
    fn every_supported_block_reads_back_as_written() {
        for md in [
            "# One\n\n## Two\n\n### Three\n",
            "Plain text\n",
            "Text with **bold**, *italic*, ~~strike~~, `code` and a [link](https://example.com/a).\n",
            "A <span color=\"red\">red</span> and <span underline=\"true\">underlined</span> word, a<br>break\n",
            "See <mention-page url=\"https://www.notion.so/Notes-a1000000000040008000000000000002\">Notes</mention-page> by <mention-user url=\"user://aaaaaaaa-0000-4000-8000-000000000001\">Alice</mention-user> on <mention-date start=\"2025-01-01\"/>\n",
            "- one\n- two\n  - nested\n\n  a child paragraph\n- three\n",
            "1. first\n1. second\n",
            "- [ ] todo\n- [x] done\n",
            "> A quote\n",
            "> A quote\n>\n> with a child\n",
            "```rust\nfn main() {}\n```\n",
            "```\nplain\n```\n",
            "---\n",
            "![A cat](https://example.com/cat.png)\n",
            "<callout icon=\"💡\" color=\"gray_bg\">\n\nTip **here**\n\n- with a list\n\n</callout>\n",
            "<details>\n<summary>Toggle *me*</summary>\n\nHidden text\n\n</details>\n",
            "| a | b |\n| --- | --- |\n| c | **d** |\n",
            "<page url=\"https://www.notion.so/Child-a1000000000040008000000000000002\">Child</page>\n",
            "<database url=\"https://www.notion.so/Tasks-d1000000000040008000000000000001\">Tasks</database>\n",
            "<empty-block/>\n",
            "Escapes: \\*not bold\\*, \\[not a link\\], a_b\\_ and 1 \\< 2\n",
            "\\# not a heading\n",
            "- a\n\n  ```sh\n  ls -l\n  ```\n- b\n",
            "- [ ] <empty-block/>\n",
            "1. a\n   - b\n   - c\n1. d\n",
            "> <empty-block/>\n>\n> child\n",
            "| a \\| b | c |\n| --- | --- |\n",
            "- item\n\n  <callout icon=\"💡\">\n\n  text\n\n  </callout>\n",
            "<details>\n<summary>Empty toggle</summary>\n\n</details>\n",
            "<details>\n<summary>Outer</summary>\n\n<details>\n<summary>Inner</summary>\n\n- deep\n\n</details>\n\n</details>\n",
            "Some ``a`b`` and ``` `` ``` code\n",
            "**bold** and *it* **x** [**bold link**](https://x.y/z)\n",
            "$$\nE = mc^2\n$$\n",
            "$$\n\\frac{a_1}{b} * c\n$$\n",
            "<columns>\n<column>\n\nLeft\n\n- a list\n\n</column>\n<column>\n\nRight\n\n</column>\n</columns>\n",
            "# Toggle {toggle=\"true\"}\n\tChild\n\n\t- [ ] nested\n\nAfter\n",
            "## Both {toggle=\"true\" color=\"blue\"}\n\tInside\n",
            "Red text {color=\"red\"}\n\n### H {color=\"blue_background\"}\n",
            "- [ ] task {color=\"red\"}\n- item {color=\"green\"}\n  - sub\n1. n {color=\"gray\"}\n",
            "<video src=\"https://example.com/v.mp4\">A clip</video>\n\n<audio src=\"https://example.com/a.mp3\"></audio>\n\n<file src=\"https://example.com/f.zip\">f</file>\n\n<pdf src=\"https://example.com/d.pdf\">Doc</pdf>\n",
            "Price \\$5, \\{color=\"red\"\\} and \\$x\\$\n",
        ] {
            roundtrip(md);
        }
    }

    #[test]
    fn what_the_format_cannot_keep_reads_as_what_it_looks_like() {
        let one = |md: &str| {
            let mut n = parse(md);
            assert_eq!(n.len(), 1, "{md}: {n:#?}");
            n.remove(0)
        };
        let toc = one("[TOC]\n");
        assert_eq!(toc.kind, "paragraph");
        assert_eq!(toc.data["rich_text"][0]["plain_text"], "[TOC]");
        let link = one("[A bookmark](https://example.com/bookmark)\n");
        assert_eq!(link.kind, "paragraph");
        assert_eq!(
            link.data["rich_text"][0]["href"],
            "https://example.com/bookmark"
        );
        let mention = one(
            "<mention-page url=\"https://www.notion.so/x-a1000000000040008000000000000002\">Engineering Notes</mention-page>\n",
        );
        assert_eq!(mention.kind, "paragraph");
        assert_eq!(mention.data["rich_text"][0]["type"], "mention");
        // Inline math is text.
        let math = one("Energy $E=mc^2$ here\n");
        assert_eq!(math.kind, "paragraph");
        assert_eq!(
            math.data["rich_text"][0]["plain_text"],
            "Energy $E=mc^2$ here"
        );
        // A media block's colour is dropped; a hosted URL written back is emptied.
        let img = one("![A cat](https://example.com/cat.png) {color=\"red\"}\n");
        assert_eq!(img.kind, "image");
        assert_eq!(img.data.get("color"), None);
        assert_eq!(img.data["caption"][0]["plain_text"], "A cat");
        let hosted = one(&format!(
            "![]({FILE_HOST}ws/x/diagram.png?X-Amz-Signature=abc)\n"
        ));
        assert_eq!(
            hosted.data,
            json!({"type": "external", "external": {"url": ""}, "caption": []})
        );
        let video = one(&format!("<video src=\"{FILE_HOST}v.mp4\">Clip</video>\n"));
        // The sandbox's own origin for hosted files is stripped too.
        let own = one("![](http://127.0.0.1:4000/__files/ws/x/diagram.png?X-Amz-Signature=abc)\n");
        assert_eq!(own.data["external"]["url"], "");
        assert_eq!(video.kind, "video");
        assert_eq!(video.data["external"]["url"], "");
        // Colours and toggles are attributes of the block.
        let todo = one("- [ ] Red task {color=\"red\"}\n");
        assert_eq!(todo.data["color"], "red");
        assert_eq!(todo.data["rich_text"][0]["plain_text"], "Red task");
        let h = one("# Open me {toggle=\"true\"}\n\tinside\n");
        assert_eq!(h.data["is_toggleable"], true);
        assert_eq!(h.children.len(), 1);
        // Not at the end of the line, or escaped: text.
        let p = one("a {color=\"red\"} b\n");
        assert_eq!(p.data["color"], "default");
        let p = one("a \\{color=\"red\"}\n");
        assert_eq!(p.data["rich_text"][0]["plain_text"], "a {color=\"red\"}");
        // Frontmatter is Markdown like any other: page text, not metadata.
        let kinds: Vec<String> = parse("---\ntitle: x\n---\n\nBody\n")
            .into_iter()
            .map(|n| n.kind)
            .collect();
        assert_eq!(kinds, ["divider", "heading_2", "paragraph"]);
        // In a code block: code.
        let code = one("```\nx {color=\"red\"}\n```\n");
        assert_eq!(code.data["rich_text"][0]["plain_text"], "x {color=\"red\"}");
    }

    #[test]
    fn blocks_have_their_types_and_fields() {
        let nodes =
            parse("- [x] done\n\n```python\nprint(1)\n```\n\n![](https://example.com/x.png)\n");
        assert_eq!(nodes[0].kind, "to_do");
        assert_eq!(nodes[0].data["checked"], true);
        assert_eq!(nodes[1].kind, "code");
        assert_eq!(nodes[1].data["language"], "python");
        assert_eq!(nodes[1].data["rich_text"][0]["plain_text"], "print(1)");
        assert_eq!(nodes[2].kind, "image");
        assert_eq!(
            nodes[2].data["external"]["url"],
            "https://example.com/x.png"
        );
        let nodes = parse(
            "<unknown url=\"https://www.notion.so/x#c1000000000040008000000000000003\" alt=\"bookmark\"/>\n",
        );
        assert_eq!(nodes[0].kind, "unknown");
        assert_eq!(
            nodes[0].id.as_deref(),
            Some("c1000000-0000-4000-8000-000000000003")
        );
    }

    #[test]
    fn tags_without_blank_lines_still_nest() {
        let nodes = parse("<callout icon=\"⚠️\">\nCareful\n</callout>\n");
        assert_eq!(nodes.len(), 1, "{nodes:#?}");
        assert_eq!(nodes[0].kind, "callout");
        assert_eq!(nodes[0].data["rich_text"][0]["plain_text"], "Careful");
        let nodes = parse("a\nb\n");
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].data["rich_text"][0]["plain_text"], "a\nb");
    }
}
