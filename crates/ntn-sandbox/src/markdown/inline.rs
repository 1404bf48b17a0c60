//! Rich text as inline Markdown, both ways: [`render`] writes a rich text array (bold,
//! italic, strikethrough, code, underline and colour spans, links, mentions, line breaks)
//! with everything else escaped; [`Inline`] collects pulldown-cmark's inline events back
//! into rich text, plus the few tags that stand for whole blocks when they are alone in a
//! paragraph (an image, a child page or database, an unknown block, an empty block).

use crate::render::notion_url;
use crate::util::rich_text;
use serde_json::{Map, Value, json};

/// Writes a rich text array as inline Markdown. `at_start` says the text begins a block,
/// where `#`, `>`, `-`, `+` and `1.` would start other blocks and are escaped.
pub fn render(rich: &Value, at_start: bool, out: &mut String) {
    let Some(items) = rich.as_array() else {
        return;
    };
    let mut first = at_start;
    for item in items {
        let before = out.len();
        render_item(item, first, out);
        if out.len() > before {
            first = false;
        }
    }
}

fn render_item(item: &Value, at_start: bool, out: &mut String) {
    let plain = item["plain_text"].as_str().unwrap_or("");
    match item["type"].as_str() {
        Some("mention") => {
            let m = &item["mention"];
            match m["type"].as_str() {
                Some(kind @ ("page" | "database")) => {
                    let id = m[kind]["id"].as_str().unwrap_or("");
                    let tag = format!("mention-{kind}");
                    out.push_str(&format!("<{tag} url=\"{}\">", attr(&notion_url(plain, id))));
                    escape(plain, false, out);
                    out.push_str(&format!("</{tag}>"));
                }
                Some("user") => {
                    let id = m["user"]["id"].as_str().unwrap_or("");
                    out.push_str(&format!("<mention-user url=\"user://{}\">", attr(id)));
                    escape(plain, false, out);
                    out.push_str("</mention-user>");
                }
                Some("date") => {
                    let d = &m["date"];
                    out.push_str(&format!(
                        "<mention-date start=\"{}\"",
                        attr(d["start"].as_str().unwrap_or(""))
                    ));
                    if let Some(end) = d["end"].as_str() {
                        out.push_str(&format!(" end=\"{}\"", attr(end)));
                    }
                    out.push_str("/>");
                }
                _ => escape(plain, at_start, out),
            }
        }
        Some("equation") => {
            // Written `$…$`; Notion reads it back as text (escaped), not as an equation.
            out.push('$');
            out.push_str(item["equation"]["expression"].as_str().unwrap_or(plain));
            out.push('$');
        }
        _ => {
            let content = item["text"]["content"].as_str().unwrap_or(plain);
            render_text(content, &item["annotations"], link_of(item), at_start, out);
        }
    }
}

fn link_of(item: &Value) -> Option<&str> {
    item["text"]["link"]["url"]
        .as_str()
        .or_else(|| item["href"].as_str())
}

fn render_text(content: &str, ann: &Value, link: Option<&str>, at_start: bool, out: &mut String) {
    if content.is_empty() {
        return;
    }
    let flag = |k: &str| ann[k].as_bool().unwrap_or(false);
    let color = ann["color"].as_str().filter(|c| *c != "default");
    let (code, bold, italic, strike, underline) = (
        flag("code"),
        flag("bold"),
        flag("italic"),
        flag("strikethrough"),
        flag("underline"),
    );
    let styled = code || bold || italic || strike || underline || color.is_some() || link.is_some();
    // Emphasis delimiters must touch the text: whitespace at either end goes outside.
    let (lead, core, trail) = if styled && !code {
        let core = content.trim();
        let start = content.len() - content.trim_start().len();
        (&content[..start], core, &content[start + core.len()..])
    } else {
        ("", content, "")
    };
    escape(lead, at_start, out);
    if core.is_empty() {
        escape(trail, false, out);
        return;
    }
    let mut open = String::new();
    let mut close = Vec::new();
    if let Some(url) = link {
        open.push('[');
        close.push(format!("]({})", link_dest(url)));
    }
    if let Some(c) = color {
        open.push_str(&format!("<span color=\"{}\">", attr(c)));
        close.push("</span>".into());
    }
    if underline {
        open.push_str("<span underline=\"true\">");
        close.push("</span>".into());
    }
    if strike {
        open.push_str("~~");
        close.push("~~".into());
    }
    if bold {
        open.push_str("**");
        close.push("**".into());
    }
    if italic {
        open.push('*');
        close.push("*".into());
    }
    out.push_str(&open);
    if code {
        code_span(core, out);
    } else {
        escape(core, at_start && lead.is_empty() && open.is_empty(), out);
    }
    for c in close.iter().rev() {
        out.push_str(c);
    }
    escape(trail, false, out);
}

/// A link destination: `<…>` when it has spaces or parentheses.
fn link_dest(url: &str) -> String {
    if url.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", url.replace('<', "%3C").replace('>', "%3E"))
    } else {
        url.to_string()
    }
}

/// A code span that holds `s` exactly (backticks inside, spaces at the ends).
fn code_span(s: &str, out: &mut String) {
    let s = s.replace('\n', " ");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = s.starts_with('`')
        || s.ends_with('`')
        || (s.starts_with(' ') && s.ends_with(' ') && !s.trim().is_empty());
    out.push_str(&fence);
    if pad {
        out.push(' ');
    }
    out.push_str(&s);
    if pad {
        out.push(' ');
    }
    out.push_str(&fence);
}

/// Escapes text so that it reads back as itself; line breaks become `<br>`.
pub fn escape(s: &str, at_start: bool, out: &mut String) {
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i == 0 { None } else { Some(chars[i - 1]) };
        let next = chars.get(i + 1).copied();
        let start = at_start && i == 0;
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '\\' | '*' | '`' | '[' | ']' | '<' | '~' | '|' | '$' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '_' if !(prev.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric)) =>
            {
                out.push_str("\\_");
            }
            '&' if next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#') => {
                out.push_str("\\&");
            }
            '#' | '>' | '-' | '+' | '=' if start => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')'
                if at_start && i > 0 && chars[..i].iter().all(char::is_ascii_digit) && i <= 9 =>
            {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
}

/// An attribute value with `&`, `"` and `<` as entities.
pub fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The attributes of a tag (`<name a="1" b='2' c>`), entities decoded.
pub fn attrs(tag: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let inner = tag
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let mut rest = inner
        .find(char::is_whitespace)
        .map(|i| &inner[i..])
        .unwrap_or("");
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_string();
        rest = rest[name_end..].trim_start();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let body = &after[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    (&body[..end], body.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            out.insert(name, Value::String(unescape_entities(value)));
            rest = remaining;
        } else {
            if name.is_empty() {
                break;
            }
            out.insert(name, Value::Bool(true));
        }
    }
    out
}

fn unescape_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The name of a tag (`<callout …>` → `callout`, `</page>` → `/page`).
pub fn tag_name(tag: &str) -> String {
    let t = tag.trim().trim_start_matches('<');
    let (close, t) = match t.strip_prefix('/') {
        Some(rest) => ("/", rest),
        None => ("", t),
    };
    let name: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{close}{}", name.to_ascii_lowercase())
}

/// What a stretch of inline content is made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// A rich text object.
    Rich(Value),
    /// `![alt](url)`.
    Image { url: String, alt: String },
    /// `<page url=…>Title</page>` or `<database …>` (kind `child_page`/`child_database`).
    Object {
        kind: &'static str,
        id: Option<String>,
        title: String,
    },
    /// `<unknown url=… alt=…/>`.
    Unknown(Option<String>),
    /// `$$…$$` (display math): a block equation when alone in a paragraph.
    Equation(String),
    /// `<video src=…>caption</video>`, `<audio>`, `<file>`, `<pdf>`.
    Media {
        kind: &'static str,
        url: String,
        caption: String,
    },
}

/// The name of the inline tag the parser puts where a line ended with block attributes
/// (`{color="red"}`): see [`crate::markdown::parse`].
pub const ATTRS_TAG: &str = "ntn-sandbox-attrs";

#[derive(Default)]
struct Capture {
    /// `mention-page`, `mention-user`, `page`, … and its attributes.
    tag: String,
    attrs: Map<String, Value>,
    text: String,
}

/// Builds rich text from inline events (see [`crate::markdown::parse`]).
#[derive(Default)]
pub struct Inline {
    segments: Vec<Segment>,
    bold: u32,
    italic: u32,
    strike: u32,
    code: u32,
    /// Open spans: `Some(color)` or `None` for underline (or an unknown span).
    spans: Vec<(Option<String>, bool)>,
    links: Vec<String>,
    capture: Option<Capture>,
    image: Option<(String, String)>,
    /// Block attributes met in this stretch (`color`, `toggle`).
    pub attrs: Map<String, Value>,
}

impl Inline {
    pub fn new() -> Inline {
        Inline::default()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.capture.is_none() && self.image.is_none()
    }

    pub fn strong(&mut self, on: bool) {
        bump(&mut self.bold, on);
    }
    pub fn emphasis(&mut self, on: bool) {
        bump(&mut self.italic, on);
    }
    pub fn strikethrough(&mut self, on: bool) {
        bump(&mut self.strike, on);
    }
    pub fn link(&mut self, url: Option<&str>) {
        match url {
            Some(u) => self.links.push(u.to_string()),
            None => {
                self.links.pop();
            }
        }
    }
    pub fn image(&mut self, url: Option<&str>) {
        match url {
            Some(u) => self.image = Some((u.to_string(), String::new())),
            None => {
                if let Some((url, alt)) = self.image.take() {
                    if self.links.is_empty() {
                        self.segments.push(Segment::Image { url, alt });
                    } else {
                        self.text(&alt);
                    }
                }
            }
        }
    }

    pub fn text(&mut self, s: &str) {
        if let Some((_, alt)) = &mut self.image {
            alt.push_str(s);
            return;
        }
        if let Some(c) = &mut self.capture {
            c.text.push_str(s);
            return;
        }
        if s.is_empty() {
            return;
        }
        let mut rt = rich_text(s);
        {
            let a = &mut rt["annotations"];
            a["bold"] = json!(self.bold > 0);
            a["italic"] = json!(self.italic > 0);
            a["strikethrough"] = json!(self.strike > 0);
            a["code"] = json!(self.code > 0);
            a["underline"] = json!(self.spans.iter().any(|(_, u)| *u));
            if let Some(c) = self.spans.iter().rev().find_map(|(c, _)| c.clone()) {
                a["color"] = json!(c);
            }
        }
        if let Some(url) = self.links.last() {
            rt["text"]["link"] = json!({"url": url});
            rt["href"] = json!(url);
        }
        // Merge with the previous item when everything but the text is the same.
        if let Some(Segment::Rich(prev)) = self.segments.last_mut()
            && prev["type"] == "text"
            && prev["annotations"] == rt["annotations"]
            && prev["text"]["link"] == rt["text"]["link"]
        {
            let joined = format!("{}{s}", prev["plain_text"].as_str().unwrap_or(""));
            prev["text"]["content"] = json!(joined);
            prev["plain_text"] = json!(joined);
            return;
        }
        self.segments.push(Segment::Rich(rt));
    }

    pub fn code(&mut self, s: &str) {
        self.code += 1;
        self.text(s);
        self.code -= 1;
    }

    /// A line break.
    pub fn line_break(&mut self) {
        self.text("\n");
    }

    /// `$$…$$`.
    pub fn display_math(&mut self, s: &str) {
        if self.capture.is_some() || self.image.is_some() {
            return self.text(&format!("$${s}$$"));
        }
        self.segments.push(Segment::Equation(s.to_string()));
    }

    /// Inline HTML: Notion's inline tags, anything else kept as text.
    pub fn html(&mut self, raw: &str) {
        let name = tag_name(raw);
        let self_closing = raw.trim_end().ends_with("/>");
        match name.as_str() {
            "br" => self.line_break(),
            "span" => {
                let a = attrs(raw);
                let color = a.get("color").and_then(Value::as_str).map(str::to_string);
                let underline = a.get("underline").is_some_and(|v| v != "false");
                self.spans.push((color, underline));
            }
            "/span" => {
                self.spans.pop();
            }
            "empty-block" => {}
            n if n == ATTRS_TAG => self.attrs.extend(attrs(raw)),
            "video" | "audio" | "file" | "pdf" if self_closing => {
                let a = attrs(raw);
                self.segments.push(Segment::Media {
                    kind: media_kind(&name),
                    url: a
                        .get("src")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    caption: String::new(),
                });
            }
            "unknown" => {
                let id = attrs(raw)
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(super::id_from_url);
                self.segments.push(Segment::Unknown(id));
            }
            "mention-date" => {
                let a = attrs(raw);
                let start = a.get("start").and_then(Value::as_str).unwrap_or("");
                let end = a.get("end").and_then(Value::as_str);
                let plain = match end {
                    Some(e) => format!("{start} → {e}"),
                    None => start.to_string(),
                };
                self.segments.push(Segment::Rich(json!({
                    "type": "mention",
                    "mention": {"type": "date", "date": {"start": start, "end": end, "time_zone": null}},
                    "annotations": rich_text("")["annotations"],
                    "plain_text": plain,
                    "href": null,
                })));
            }
            "mention-page" | "mention-database" | "mention-user" | "page" | "database"
            | "video" | "audio" | "file" | "pdf"
                if !self_closing =>
            {
                self.capture = Some(Capture {
                    tag: name,
                    attrs: attrs(raw),
                    text: String::new(),
                });
            }
            "page" | "database" => {
                let id = attrs(raw)
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(super::id_from_url);
                let kind = if name == "page" {
                    "child_page"
                } else {
                    "child_database"
                };
                self.segments.push(Segment::Object {
                    kind,
                    id,
                    title: String::new(),
                });
            }
            n if n.starts_with('/') && self.capture.as_ref().is_some_and(|c| c.tag == n[1..]) => {
                if let Some(c) = self.capture.take() {
                    self.finish_capture(c);
                }
            }
            _ => {
                // Not one of Notion's tags: the text as written.
                self.text(raw);
            }
        }
    }

    fn finish_capture(&mut self, c: Capture) {
        let url = c.attrs.get("url").and_then(Value::as_str).unwrap_or("");
        let id = super::id_from_url(url);
        let ann = rich_text("")["annotations"].clone();
        match c.tag.as_str() {
            "video" | "audio" | "file" | "pdf" => self.segments.push(Segment::Media {
                kind: media_kind(&c.tag),
                url: c
                    .attrs
                    .get("src")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                caption: c.text,
            }),
            "page" | "database" => self.segments.push(Segment::Object {
                kind: if c.tag == "page" {
                    "child_page"
                } else {
                    "child_database"
                },
                id,
                title: c.text,
            }),
            "mention-user" => self.segments.push(Segment::Rich(json!({
                "type": "mention",
                "mention": {"type": "user", "user": {"object": "user", "id": id}},
                "annotations": ann,
                "plain_text": c.text,
                "href": null,
            }))),
            tag => {
                let kind = tag.trim_start_matches("mention-");
                self.segments.push(Segment::Rich(json!({
                    "type": "mention",
                    "mention": {"type": kind, kind: {"id": id}},
                    "annotations": ann,
                    "plain_text": c.text,
                    "href": id.as_deref().map(|i| notion_url("", i)),
                })))
            }
        }
    }

    /// The segments, with any unclosed capture kept as text.
    pub fn finish(mut self) -> Vec<Segment> {
        if let Some(c) = self.capture.take() {
            self.text(&c.text);
        }
        if self.image.is_some() {
            self.image(None);
        }
        self.segments
    }
}

fn media_kind(tag: &str) -> &'static str {
    match tag {
        "video" => "video",
        "audio" => "audio",
        "pdf" => "pdf",
        _ => "file",
    }
}

fn bump(n: &mut u32, on: bool) {
    if on {
        *n += 1;
    } else {
        *n = n.saturating_sub(1);
    }
}

/// Segments as rich text: block-like tags inside text become text or mentions.
pub fn to_rich(segments: Vec<Segment>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for s in segments {
        match s {
            Segment::Rich(v) => out.push(v),
            Segment::Image { url, alt } => {
                let mut rt = rich_text(if alt.is_empty() { &url } else { &alt });
                rt["text"]["link"] = json!({"url": url});
                rt["href"] = json!(url);
                out.push(rt);
            }
            Segment::Object { kind, id, title } => {
                let mention = if kind == "child_page" {
                    "page"
                } else {
                    "database"
                };
                out.push(json!({
                    "type": "mention",
                    "mention": {"type": mention, mention: {"id": id}},
                    "annotations": rich_text("")["annotations"],
                    "plain_text": title,
                    "href": id.as_deref().map(|i| notion_url("", i)),
                }));
            }
            Segment::Equation(e) => out.push(rich_text(&format!("$${e}$$"))),
            Segment::Media { url, caption, .. } => {
                let mut rt = rich_text(if caption.is_empty() { &url } else { &caption });
                rt["text"]["link"] = json!({"url": url});
                rt["href"] = json!(url);
                out.push(rt);
            }
            Segment::Unknown(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_with_entities() {
        let a = attrs(r#"<callout icon="💡" color='red_bg' open data="a &quot;b&quot; &amp; c">"#);
        assert_eq!(a["icon"], "💡");
        assert_eq!(a["color"], "red_bg");
        assert_eq!(a["open"], true);
        assert_eq!(a["data"], "a \"b\" & c");
        assert_eq!(tag_name("</callout>"), "/callout");
        assert_eq!(tag_name("<mention-page url=\"x\">"), "mention-page");
        assert_eq!(tag_name("<empty-block/>"), "empty-block");
    }

    #[test]
    fn escaping_keeps_text_and_block_starts_literal() {
        let mut s = String::new();
        escape("# a*b_c [x] <y> snake_case 1. x\nnext", true, &mut s);
        assert_eq!(s, "\\# a\\*b_c \\[x\\] \\<y> snake_case 1. x<br>next");
        let mut s = String::new();
        escape("$5 {a}", false, &mut s);
        assert_eq!(s, "\\$5 \\{a\\}");
        let mut s = String::new();
        escape("12. x", true, &mut s);
        assert_eq!(s, "12\\. x");
        let mut s = String::new();
        code_span("a`b", &mut s);
        assert_eq!(s, "``a`b``");
    }
}
