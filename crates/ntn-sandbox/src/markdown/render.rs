//! Blocks to Notion-flavoured Markdown (the format is described in [`super`]), with the
//! block limit, `<unknown/>` tags for what cannot be rendered, and hosted file URLs signed
//! afresh on every read.

use super::{Node, inline};
use crate::files::Signer;
use crate::render::notion_url;
use crate::util;
use serde_json::Value;
use std::ops::Range;

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// Blocks rendered before the rest become `<unknown/>` (child pages and databases do
    /// not count: their tags are always written).
    pub limit: usize,
    /// Sign hosted file URLs (a fresh signature each time, as Notion does); off for
    /// comparing blocks.
    pub sign: bool,
    /// The origin, time and secret hosted file URLs are shown with.
    pub files: Signer,
    /// The page whose URL `<unknown url=…>` tags point into.
    pub page_id: String,
}

/// A rendered page (or block).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub markdown: String,
    /// Blocks were left out because of the block limit.
    pub truncated: bool,
    /// The ids of the blocks written as `<unknown/>`, in document order.
    pub unknown_block_ids: Vec<String>,
}

struct Cx<'a> {
    opts: &'a Options,
    count: usize,
    truncated: bool,
    unknown: Vec<String>,
}

/// Renders a sequence of sibling blocks: blank lines between blocks, a line break between
/// consecutive list items, a final line break.
pub fn markdown(nodes: &[Node], opts: &Options) -> Rendered {
    let mut cx = Cx {
        opts,
        count: 0,
        truncated: false,
        unknown: Vec::new(),
    };
    let mut out = String::new();
    blocks(nodes, &mut cx, &mut out);
    if !out.is_empty() {
        out.push('\n');
    }
    Rendered {
        markdown: out,
        truncated: cx.truncated,
        unknown_block_ids: cx.unknown,
    }
}

/// Renders a page's top-level blocks as [`markdown`] does (unsigned, no limit), with the
/// byte range each block covers (its children included; the separators between blocks
/// belong to none): what a targeted edit works on.
pub fn with_spans(nodes: &[Node], page_id: &str, files: &Signer) -> (String, Vec<Range<usize>>) {
    let opts = Options {
        limit: usize::MAX,
        sign: false,
        files: files.clone(),
        page_id: page_id.to_string(),
    };
    let mut cx = Cx {
        opts: &opts,
        count: 0,
        truncated: false,
        unknown: Vec::new(),
    };
    let mut out = String::new();
    let spans = blocks(nodes, &mut cx, &mut out);
    if !out.is_empty() {
        out.push('\n');
    }
    (out, spans)
}

/// Writes sibling blocks; returns the range each one covers in `out`.
fn blocks(nodes: &[Node], cx: &mut Cx, out: &mut String) -> Vec<Range<usize>> {
    let mut spans = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(if nodes[i - 1].is_list_item() && n.is_list_item() {
                "\n"
            } else {
                "\n\n"
            });
        }
        let start = out.len();
        block(n, cx, out);
        spans.push(start..out.len());
    }
    spans
}

/// Whether the format can express a block (and all it holds directly).
fn representable(n: &Node) -> bool {
    match n.kind.as_str() {
        "paragraph" | "code" | "divider" | "image" | "video" | "audio" | "file" | "pdf"
        | "equation" | "table_of_contents" | "bookmark" | "embed" | "link_preview"
        | "link_to_page" | "breadcrumb" => n.children.is_empty(),
        "heading_1" | "heading_2" | "heading_3" => {
            n.children.is_empty() || n.data["is_toggleable"] == true
        }
        "table" => !n.children.is_empty() && n.children.iter().all(|r| r.kind == "table_row"),
        "column_list" => n.children.iter().all(|c| c.kind == "column"),
        "bulleted_list_item" | "numbered_list_item" | "to_do" | "quote" | "callout" | "toggle"
        | "synced_block" | "column" | "child_page" | "child_database" => true,
        _ => false,
    }
}

fn unknown(n: &Node, cx: &mut Cx, out: &mut String) {
    let id = n.id.clone().unwrap_or_default();
    out.push_str(&format!(
        "<unknown url=\"{}#{}\" alt=\"{}\"/>",
        inline::attr(&notion_url("", &cx.opts.page_id)),
        id.replace('-', ""),
        inline::attr(&n.kind)
    ));
    if !id.is_empty() {
        cx.unknown.push(id);
    }
}

/// The block attributes written after the first line of a block (`{color="red"}`,
/// `{toggle="true"}`), with a leading space; empty when there are none.
fn block_attrs(n: &Node) -> String {
    let mut attrs = Vec::new();
    if n.kind.starts_with("heading_") && n.data["is_toggleable"] == true {
        attrs.push("toggle=\"true\"".to_string());
    }
    if let Some(c) = n.data["color"].as_str().filter(|c| *c != "default") {
        attrs.push(format!("color=\"{}\"", inline::attr(c)));
    }
    if attrs.is_empty() {
        String::new()
    } else {
        format!(" {{{}}}", attrs.join(" "))
    }
}

/// A URL of a hosted file on the sandbox's origin, signed afresh (when signing); any other
/// as it is.
fn media_url(n: &Node, cx: &Cx) -> String {
    let kind = n.data["type"].as_str().unwrap_or("external");
    let url = n.data[kind]["url"].as_str().unwrap_or("");
    match (kind, cx.opts.sign) {
        ("file", true) => cx.opts.files.signed(url),
        ("file", false) => cx.opts.files.unsigned(url),
        _ => url.to_string(),
    }
}

/// A link destination, in `<…>` when it has spaces or parentheses.
fn dest(url: &str) -> String {
    if url.contains([' ', '(', ')']) {
        format!("<{url}>")
    } else {
        url.to_string()
    }
}

fn block(n: &Node, cx: &mut Cx, out: &mut String) {
    if n.hidden || !representable(n) {
        return unknown(n, cx, out);
    }
    if !n.is_child_object() {
        if cx.count >= cx.opts.limit {
            cx.truncated = true;
            return unknown(n, cx, out);
        }
        cx.count += 1;
    }
    let rt = &n.data["rich_text"];
    let text = |at_start: bool| {
        let mut s = String::new();
        inline::render(rt, at_start, &mut s);
        s
    };
    match n.kind.as_str() {
        "paragraph" => {
            let t = text(true);
            out.push_str(if t.is_empty() { "<empty-block/>" } else { &t });
            out.push_str(&block_attrs(n));
        }
        "heading_1" | "heading_2" | "heading_3" => {
            let level = n.kind[8..].parse::<usize>().unwrap_or(1);
            out.push_str(&"#".repeat(level));
            let t = text(false);
            if !t.is_empty() {
                out.push(' ');
                out.push_str(&t);
            }
            out.push_str(&block_attrs(n));
            if !n.children.is_empty() {
                // The children of a toggle heading, indented by a tab.
                let mut inner = String::new();
                blocks(&n.children, cx, &mut inner);
                out.push('\n');
                prefix_lines(&inner, "\t", "", out);
            }
        }
        "bulleted_list_item" | "numbered_list_item" | "to_do" => {
            let marker = match n.kind.as_str() {
                "bulleted_list_item" => "- ",
                "numbered_list_item" => "1. ",
                _ if n.data["checked"] == true => "- [x] ",
                _ => "- [ ] ",
            };
            let t = text(n.kind != "to_do");
            let t = if t.is_empty() && n.kind == "to_do" {
                "<empty-block/>".to_string()
            } else {
                t
            };
            out.push_str(marker.trim_end());
            if !t.is_empty() {
                out.push(' ');
                out.push_str(&t);
            }
            out.push_str(&block_attrs(n));
            if !n.children.is_empty() {
                let mut inner = String::new();
                blocks(&n.children, cx, &mut inner);
                let width = if n.kind == "numbered_list_item" { 3 } else { 2 };
                out.push_str(if n.children[0].is_list_item() {
                    "\n"
                } else {
                    "\n\n"
                });
                prefix_lines(&inner, &" ".repeat(width), "", out);
            }
        }
        "quote" => {
            let t = text(true);
            let mut inner = if t.is_empty() && !n.children.is_empty() {
                "<empty-block/>".to_string()
            } else {
                t
            };
            if !n.children.is_empty() {
                inner.push_str("\n\n");
                blocks(&n.children, cx, &mut inner);
            }
            prefix_lines(&inner, "> ", ">", out);
        }
        "code" => {
            let content = rt_plain(rt);
            let mut fence = "```".to_string();
            while content.contains(&fence) {
                fence.push('`');
            }
            let lang = n.data["language"].as_str().unwrap_or("plain text");
            out.push_str(&fence);
            if lang != "plain text" {
                out.push_str(lang);
            }
            out.push('\n');
            if !content.is_empty() {
                out.push_str(&content);
                out.push('\n');
            }
            out.push_str(&fence);
        }
        "equation" => {
            out.push_str("$$\n");
            out.push_str(n.data["expression"].as_str().unwrap_or("").trim());
            out.push_str("\n$$");
        }
        "divider" => out.push_str("---"),
        "image" => {
            let url = media_url(n, cx);
            let caption = rt_plain(&n.data["caption"]);
            out.push_str("![");
            let mut alt = String::new();
            inline::escape(&caption, false, &mut alt);
            out.push_str(&alt);
            out.push_str("](");
            out.push_str(&dest(&url));
            out.push(')');
        }
        "video" | "audio" | "file" | "pdf" => {
            let url = media_url(n, cx);
            let mut caption = String::new();
            inline::escape(&rt_plain(&n.data["caption"]), false, &mut caption);
            out.push_str(&format!(
                "<{k} src=\"{}\">{caption}</{k}>",
                inline::attr(&url),
                k = n.kind
            ));
        }
        "table_of_contents" => out.push_str("[TOC]"),
        "bookmark" | "embed" | "link_preview" => {
            // A link line: what Notion's Markdown shows of these (it reads back as a
            // paragraph with a link).
            let url = n.data["url"].as_str().unwrap_or("");
            let caption = rt_plain(&n.data["caption"]);
            let label = if !caption.is_empty() {
                caption
            } else if !url.is_empty() {
                url.to_string()
            } else {
                n.kind.clone()
            };
            let mut t = String::new();
            inline::escape(&label, false, &mut t);
            out.push_str(&format!("[{t}]({})", dest(url)));
        }
        "link_to_page" => {
            let (tag, id) = match n.data["database_id"].as_str() {
                Some(db) => ("mention-database", db),
                None => ("mention-page", n.data["page_id"].as_str().unwrap_or("")),
            };
            let title = n.label.clone().unwrap_or_default();
            let mut t = String::new();
            inline::escape(&title, false, &mut t);
            out.push_str(&format!(
                "<{tag} url=\"{}\">{t}</{tag}>",
                inline::attr(&notion_url(&title, id))
            ));
        }
        "breadcrumb" => {
            // The path of page titles down to this page, as one line of text.
            let path = n.label.clone().filter(|l| !l.is_empty());
            inline::escape(path.as_deref().unwrap_or("Breadcrumb"), true, out);
        }
        "synced_block" => {
            // Its (the original's) content, as plain blocks: no wrapper.
            if n.children.is_empty() {
                out.push_str("<empty-block/>");
            } else {
                blocks(&n.children, cx, out);
            }
        }
        "column_list" => {
            out.push_str("<columns>");
            for c in &n.children {
                out.push('\n');
                block(c, cx, out);
            }
            out.push_str("\n</columns>");
        }
        "column" => {
            out.push_str("<column>");
            if !n.children.is_empty() {
                out.push_str("\n\n");
                blocks(&n.children, cx, out);
                out.push_str("\n\n");
            } else {
                out.push('\n');
            }
            out.push_str("</column>");
        }
        "callout" => {
            out.push_str("<callout");
            if let Some(icon) = n.data["icon"]["emoji"].as_str() {
                out.push_str(&format!(" icon=\"{}\"", inline::attr(icon)));
            }
            if let Some(c) = n.data["color"].as_str().filter(|c| *c != "default") {
                out.push_str(&format!(" color=\"{}\"", inline::attr(c)));
            }
            out.push_str(">\n\n");
            let t = text(true);
            out.push_str(if t.is_empty() { "<empty-block/>" } else { &t });
            if !n.children.is_empty() {
                out.push_str("\n\n");
                blocks(&n.children, cx, out);
            }
            out.push_str("\n\n</callout>");
        }
        "toggle" => {
            out.push_str("<details>\n<summary>");
            out.push_str(&text(false));
            out.push_str("</summary>");
            if !n.children.is_empty() {
                out.push_str("\n\n");
                blocks(&n.children, cx, out);
            }
            out.push_str("\n\n</details>");
        }
        "table" => table(n, out),
        "child_page" | "child_database" => {
            let tag = if n.kind == "child_page" {
                "page"
            } else {
                "database"
            };
            let title = n.data["title"].as_str().unwrap_or("");
            let url = match &n.id {
                Some(id) => format!(" url=\"{}\"", inline::attr(&notion_url(title, id))),
                None => String::new(),
            };
            let inline_attr = if n.data["is_inline"] == true {
                " inline=\"true\""
            } else {
                ""
            };
            let mut t = String::new();
            inline::escape(title, false, &mut t);
            out.push_str(&format!("<{tag}{url}{inline_attr}>{t}</{tag}>"));
        }
        _ => unknown(n, cx, out),
    }
}

fn table(n: &Node, out: &mut String) {
    let width = n.data["table_width"]
        .as_u64()
        .map(|w| w as usize)
        .unwrap_or(0)
        .max(
            n.children
                .iter()
                .map(|r| r.data["cells"].as_array().map_or(0, Vec::len))
                .max()
                .unwrap_or(0),
        )
        .max(1);
    for (i, row) in n.children.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push('|');
        for c in 0..width {
            let mut cell = String::new();
            inline::render(&row.data["cells"][c], false, &mut cell);
            out.push(' ');
            out.push_str(&cell);
            out.push_str(" |");
        }
        if i == 0 {
            out.push_str("\n|");
            for _ in 0..width {
                out.push_str(" --- |");
            }
        }
    }
}

/// Writes `text` with `prefix` before each line (`empty` before empty lines).
fn prefix_lines(text: &str, prefix: &str, empty: &str, out: &mut String) {
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            out.push_str(empty);
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
    }
}

fn rt_plain(rt: &Value) -> String {
    util::plain_text(rt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(limit: usize) -> Options {
        Options {
            limit,
            sign: true,
            files: Signer::default(),
            page_id: "a1000000-0000-4000-8000-000000000001".into(),
        }
    }

    fn p(kind: &str, text: &str) -> Node {
        Node::text(kind, vec![util::rich_text(text)])
    }

    #[test]
    fn blocks_are_separated_and_lists_are_tight() {
        let mut item = p("bulleted_list_item", "a");
        item.children = vec![p("bulleted_list_item", "a1"), p("paragraph", "more")];
        let nodes = vec![
            p("heading_1", "Title"),
            p("paragraph", "Text"),
            item,
            p("numbered_list_item", "b"),
            Node::new("divider", json!({})),
        ];
        let r = markdown(&nodes, &opts(100));
        assert_eq!(
            r.markdown,
            "# Title\n\nText\n\n- a\n  - a1\n\n  more\n1. b\n\n---\n"
        );
        assert!(!r.truncated && r.unknown_block_ids.is_empty());
    }

    #[test]
    fn inline_equations_are_dollars_and_synced_blocks_have_no_wrapper() {
        let mut para = p("paragraph", "Energy ");
        para.data["rich_text"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "equation", "equation": {"expression": "E=mc^2"}, "plain_text": "E=mc^2"}));
        let mut synced = Node::new("synced_block", json!({"synced_from": null}));
        synced.children = vec![p("paragraph", "one"), p("bulleted_list_item", "two")];
        let empty = Node::new("synced_block", json!({"synced_from": null}));
        let r = markdown(&[para, synced, empty], &opts(100));
        assert_eq!(
            r.markdown,
            "Energy $E=mc^2$\n\none\n\n- two\n\n<empty-block/>\n"
        );
    }

    #[test]
    fn past_the_limit_blocks_are_unknown() {
        let mut nodes: Vec<Node> = (0..3).map(|i| p("paragraph", &format!("p{i}"))).collect();
        nodes[2].id = Some("c1000000-0000-4000-8000-000000000003".into());
        let r = markdown(&nodes, &opts(2));
        assert!(r.truncated);
        assert_eq!(
            r.unknown_block_ids,
            ["c1000000-0000-4000-8000-000000000003"]
        );
        assert!(r.markdown.ends_with(
            "<unknown url=\"https://www.notion.so/a1000000000040008000000000000001#c1000000000040008000000000000003\" alt=\"paragraph\"/>\n"
        ), "{}", r.markdown);
    }

    #[test]
    fn hosted_files_are_signed_each_time_but_edited_unsigned() {
        use crate::files::FILE_HOST;
        let img = Node::new(
            "image",
            json!({"type": "file", "file": {"url": format!("{FILE_HOST}x/cat.png")}, "caption": []}),
        );
        let a = markdown(std::slice::from_ref(&img), &opts(10)).markdown;
        let b = markdown(std::slice::from_ref(&img), &opts(10)).markdown;
        assert_ne!(a, b);
        assert!(a.contains("X-Amz-Signature="), "{a}");
        let (plain, spans) = with_spans(std::slice::from_ref(&img), "p", &Signer::default());
        assert_eq!(plain, format!("![]({FILE_HOST}x/cat.png)\n"));
        assert_eq!(spans.first(), Some(&(0..plain.len() - 1)));
    }
}
