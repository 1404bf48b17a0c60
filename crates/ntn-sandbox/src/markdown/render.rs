//! Blocks to Notion-flavoured Markdown (the format is described in [`super`]), with the
//! block limit, `<unknown/>` tags for what cannot be rendered, and hosted file URLs signed
//! afresh on every read.

use super::{FILE_HOST, Node, inline};
use crate::render::notion_url;
use crate::util;
use serde_json::Value;

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// Blocks rendered before the rest become `<unknown/>` (child pages and databases do
    /// not count: their tags are always written).
    pub limit: usize,
    /// Sign hosted file URLs (a fresh signature each time, as Notion does); off for
    /// comparing blocks.
    pub sign: bool,
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

/// The Markdown of one block without its children (with the rows of a table), unsigned:
/// what decides whether a replace keeps the block. Blocks rendered as `<unknown/>` (and
/// `<unknown/>` tags read back), child pages and databases are keyed by their id.
pub fn key(node: &Node) -> String {
    let id = node.id.as_deref().unwrap_or("");
    if node.is_child_object() && !node.hidden {
        return format!("{}:{id}", node.kind);
    }
    if node.hidden || node.kind == "unknown" || !representable(node) {
        return format!("unknown:{id}");
    }
    let own = if node.kind == "table" {
        node.clone()
    } else {
        Node {
            children: Vec::new(),
            ..node.clone()
        }
    };
    let opts = Options {
        limit: usize::MAX,
        sign: false,
        page_id: String::new(),
    };
    let mut cx = Cx {
        opts: &opts,
        count: 0,
        truncated: false,
        unknown: Vec::new(),
    };
    let mut out = String::new();
    block(&own, &mut cx, &mut out);
    out
}

fn blocks(nodes: &[Node], cx: &mut Cx, out: &mut String) {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(if nodes[i - 1].is_list_item() && n.is_list_item() {
                "\n"
            } else {
                "\n\n"
            });
        }
        block(n, cx, out);
    }
}

/// Whether the format can express a block (and all it holds directly).
fn representable(n: &Node) -> bool {
    match n.kind.as_str() {
        "paragraph" | "heading_1" | "heading_2" | "heading_3" | "code" | "divider" | "image" => {
            n.children.is_empty()
        }
        "table" => !n.children.is_empty() && n.children.iter().all(|r| r.kind == "table_row"),
        "bulleted_list_item" | "numbered_list_item" | "to_do" | "quote" | "callout" | "toggle"
        | "child_page" | "child_database" => true,
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
        }
        "heading_1" | "heading_2" | "heading_3" => {
            let level = n.kind[8..].parse::<usize>().unwrap_or(1);
            out.push_str(&"#".repeat(level));
            let t = text(false);
            if !t.is_empty() {
                out.push(' ');
                out.push_str(&t);
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
        "divider" => out.push_str("---"),
        "image" => {
            let kind = n.data["type"].as_str().unwrap_or("external");
            let mut url = n.data[kind]["url"].as_str().unwrap_or("").to_string();
            if kind == "file" && cx.opts.sign && url.starts_with(FILE_HOST) {
                url = sign(&url);
            }
            let caption = rt_plain(&n.data["caption"]);
            out.push_str("![");
            let mut alt = String::new();
            inline::escape(&caption, false, &mut alt);
            out.push_str(&alt);
            out.push_str("](");
            if url.contains([' ', '(', ')']) {
                out.push_str(&format!("<{url}>"));
            } else {
                out.push_str(&url);
            }
            out.push(')');
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
            let mut t = String::new();
            inline::escape(title, false, &mut t);
            out.push_str(&format!("<{tag}{url}>{t}</{tag}>"));
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

/// A hosted file URL with a fresh signature, as S3 presigned URLs look.
pub fn sign(url: &str) -> String {
    let now = util::rfc3339(util::now_ms());
    let date: String = now
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(14)
        .collect();
    format!(
        "{url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={}T{}Z&X-Amz-Expires=3600&X-Amz-Signature={}&X-Amz-SignedHeaders=host",
        &date[..8],
        &date[8..],
        util::random_hex(32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(limit: usize) -> Options {
        Options {
            limit,
            sign: true,
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
    fn hosted_files_are_signed_each_time_but_keyed_unsigned() {
        let img = Node::new(
            "image",
            json!({"type": "file", "file": {"url": format!("{FILE_HOST}x/cat.png")}, "caption": []}),
        );
        let a = markdown(std::slice::from_ref(&img), &opts(10)).markdown;
        let b = markdown(std::slice::from_ref(&img), &opts(10)).markdown;
        assert_ne!(a, b);
        assert!(a.contains("X-Amz-Signature="), "{a}");
        assert_eq!(key(&img), format!("![]({FILE_HOST}x/cat.png)"));
    }
}
