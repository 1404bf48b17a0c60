//! A page as read: its object, its Markdown with what Notion left out fetched back and
//! spliced in, what is still missing and why, and the content hash that tells later
//! whether the page changed since.
//!
//! Notion writes a block it cannot render as `<unknown url="…#<block id>" alt="…"/>` and
//! lists its id. [`splice`] replaces such tags by the Markdown fetched for their ids,
//! indented like the tag; [`Missing`] says why the others stay out.
//!
//! The content hash covers the body and every property (as plain values). Signed file
//! URLs (hosted images and files) change on every read, so they are compared without
//! their signatures ([`normalize_urls`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::id::ParentSpec;
use super::props;

/// `GET`/`PATCH /v1/pages/{id}/markdown`'s answer.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct PageMarkdown {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub markdown: String,
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub unknown_block_ids: Vec<String>,
}

/// Why a block is missing from a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Reading it by its id is a 404: it is not shared with the integration.
    NotShared,
    /// Read by its id it is still unknown: Notion has no Markdown for its type.
    Unsupported,
    /// Past the number of blocks ntn fetches one by one ([`MAX_FETCHED`]).
    Limit,
}

/// The most blocks one read fetches by id: a page Notion leaves more out of is read
/// partially (the rest is [`Reason::Limit`]).
pub const MAX_FETCHED: usize = 10_000;

/// The most a page's Markdown may grow to once the fetched blocks are spliced in: the
/// bound on what a server (a hostile one, or a loop) can make a read allocate.
pub const MAX_EXPANDED: u64 = 64 << 20;

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reason::NotShared => "not shared with the integration",
            Reason::Unsupported => "a block Notion cannot write as Markdown",
            Reason::Limit => "past the 10,000 blocks ntn reads one by one",
        })
    }
}

/// A block that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub id: String,
    pub reason: Reason,
}

/// A page as read.
#[derive(Clone, Debug)]
pub struct Read {
    /// The page object.
    pub page: Value,
    /// The Markdown, with what could be fetched spliced in.
    pub markdown: String,
    /// The Markdown as the server sent it, when blocks were spliced into `markdown`
    /// (else it is `markdown`): what a targeted edit's `old_str` is matched against on
    /// the server. See [`Read::raw`].
    pub raw: Option<String>,
    /// The first answer said the page was truncated (past Notion's block limit).
    pub truncated: bool,
    /// Blocks fetched back and spliced in.
    pub spliced: usize,
    /// Blocks still missing.
    pub missing: Vec<Missing>,
}

impl Read {
    pub fn id(&self) -> &str {
        self.page["id"].as_str().unwrap_or("")
    }

    pub fn title(&self) -> String {
        props::title(&self.page)
    }

    /// The Markdown as the server sent it (before splicing).
    pub fn raw(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.markdown)
    }

    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// The page's properties (Notion's values).
    pub fn properties(&self) -> Map<String, Value> {
        self.page["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// Every property but the title, as plain values, in Notion's order.
    pub fn plain_properties(&self) -> Map<String, Value> {
        self.properties()
            .iter()
            .filter(|(_, v)| v["type"] != "title")
            .map(|(k, v)| (k.clone(), props::plain(v)))
            .collect()
    }

    /// The page's `parent` written the frontmatter's way (`page:ID`, …).
    pub fn parent(&self) -> String {
        ParentSpec::describe(&self.page["parent"])
    }

    /// The content hash: `v1:<body>:<properties>` (12 hex digits of SHA-256 each).
    pub fn content_hash(&self) -> String {
        ContentHash::of(&self.markdown, &self.title(), &self.plain_properties()).to_string()
    }

    /// The frontmatter `get` writes.
    pub fn frontmatter(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), Value::String(self.id().to_string()));
        if let Some(url) = self.page["url"].as_str() {
            m.insert("url".into(), Value::String(url.to_string()));
        }
        m.insert("title".into(), Value::String(self.title()));
        m.insert("parent".into(), Value::String(self.parent()));
        if let Some(t) = self.page["last_edited_time"].as_str() {
            m.insert("last_edited_time".into(), Value::String(t.to_string()));
        }
        let plain = self.plain_properties();
        if !plain.is_empty() {
            m.insert("properties".into(), Value::Object(plain));
        }
        m.insert("content_hash".into(), Value::String(self.content_hash()));
        m
    }

    /// Child pages and databases in the body.
    pub fn child_objects(&self) -> Vec<ChildObject> {
        child_objects(&self.markdown)
    }
}

/// A content hash, in parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentHash {
    pub body: String,
    pub properties: String,
}

impl ContentHash {
    pub fn of(body: &str, title: &str, plain: &Map<String, Value>) -> ContentHash {
        let body = normalize_body(body);
        let sorted: BTreeMap<&str, &Value> = plain.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let props = serde_json::to_vec(&(title, sorted)).unwrap_or_default();
        ContentHash {
            body: short_hash(body.as_bytes()),
            properties: short_hash(&props),
        }
    }

    pub fn parse(s: &str) -> Option<ContentHash> {
        let mut parts = s.trim().split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("v1"), Some(b), Some(p), None)
                if b.len() == 12
                    && p.len() == 12
                    && b.chars().chain(p.chars()).all(|c| c.is_ascii_hexdigit()) =>
            {
                Some(ContentHash {
                    body: b.to_ascii_lowercase(),
                    properties: p.to_ascii_lowercase(),
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1:{}:{}", self.body, self.properties)
    }
}

fn short_hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// A body as compared: line endings, trailing blank space and file signatures do not
/// count.
pub fn normalize_body(body: &str) -> Cow<'_, str> {
    let mut s: Cow<'_, str> = if body.contains('\r') {
        Cow::Owned(body.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(body)
    };
    if let Cow::Owned(n) = normalize_urls(&s) {
        s = Cow::Owned(n);
    }
    let trimmed = s.trim_end().len();
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[..trimmed]),
        Cow::Owned(mut o) => {
            o.truncate(trimmed);
            Cow::Owned(o)
        }
    }
}

/// Whether a URL's query is a signature that changes on every read (S3 presigned URLs,
/// CloudFront signed URLs).
fn is_signed(query: &str) -> bool {
    query.contains("X-Amz-Signature=")
        || query.contains("X-Amz-Credential=")
        || (query.contains("Signature=") && query.contains("Expires="))
}

/// Where each URL in `text` starts and ends (ends at whitespace, quotes, brackets).
fn urls(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("http") {
        let start = from + i;
        let rest = &text[start..];
        if !(rest.starts_with("https://") || rest.starts_with("http://")) {
            from = start + 4;
            continue;
        }
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>' | ']'))
            .unwrap_or(rest.len());
        out.push((start, start + len));
        from = start + len.max(1);
    }
    out
}

/// Where the signed URLs of `text` are (they change on every read).
pub fn signed_urls(text: &str) -> Vec<std::ops::Range<usize>> {
    urls(text)
        .into_iter()
        .filter(|&(s, e)| {
            text[s..e]
                .split_once('?')
                .is_some_and(|(_, q)| is_signed(q))
        })
        .map(|(s, e)| s..e)
        .collect()
}

/// `text` with signed URLs' signatures (their query strings) removed.
pub fn normalize_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("Signature=") && !text.contains("X-Amz-") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e) in urls(text) {
        let url = &text[s..e];
        if let Some((base, query)) = url.split_once('?')
            && is_signed(query)
        {
            out.push_str(&text[last..s]);
            out.push_str(base);
            last = e;
        }
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// `input` with each signed URL whose file is also in `current` replaced by `current`'s
/// (fresh) URL: what is sent back points at the same files with valid signatures.
pub fn refresh_urls(input: &str, current: &str) -> String {
    let fresh: HashMap<&str, &str> = urls(current)
        .into_iter()
        .map(|(s, e)| &current[s..e])
        .filter_map(|u| {
            let (base, q) = u.split_once('?')?;
            is_signed(q).then_some((base, u))
        })
        .collect();
    if fresh.is_empty() {
        return input.to_string();
    }
    let mut out = String::with_capacity(input.len());
    let mut last = 0;
    for (s, e) in urls(input) {
        let url = &input[s..e];
        let base = url.split('?').next().unwrap_or(url);
        if let Some(new) = fresh.get(base) {
            out.push_str(&input[last..s]);
            out.push_str(new);
            last = e;
        }
    }
    out.push_str(&input[last..]);
    out
}

/// The value of an attribute in a tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The block id an `<unknown url=…/>` points at (the URL's fragment).
fn unknown_id(tag: &str) -> Option<String> {
    let url = attr(tag, "url")?;
    let frag = url.rsplit_once('#').map(|(_, f)| f).unwrap_or(&url);
    super::id::normalize(frag).or_else(|| super::id::parse(&url).ok())
}

/// Each `<unknown …/>` tag in `text`: (start, end, block id).
pub fn unknown_tags(text: &str) -> Vec<(usize, usize, Option<String>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("<unknown") {
        let start = from + i;
        let Some(len) = text[start..].find('>') else {
            break;
        };
        let end = start + len + 1;
        out.push((start, end, unknown_id(&text[start..end])));
        from = end;
    }
    out
}

/// `text` with each `<unknown/>` tag whose id has a replacement replaced by it, its lines
/// after the first indented like the tag (a list item's children, a quote's lines).
pub fn splice(text: &str, replacements: &HashMap<String, String>) -> String {
    let tags = unknown_tags(text);
    if tags.is_empty() || replacements.is_empty() {
        return text.to_string();
    }
    let mut out =
        String::with_capacity(text.len() + replacements.values().map(String::len).sum::<usize>());
    let mut last = 0;
    for (start, end, id) in tags {
        let Some(rep) = id.as_ref().and_then(|id| replacements.get(id)) else {
            continue;
        };
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let prefix = &text[line_start..start];
        let prefix = if prefix.chars().all(|c| c == ' ' || c == '\t' || c == '>') {
            prefix
        } else {
            ""
        };
        out.push_str(&text[last..start]);
        for (i, line) in rep.trim_end_matches('\n').split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                if line.is_empty() {
                    out.push_str(prefix.trim_end());
                } else {
                    out.push_str(prefix);
                }
            }
            out.push_str(line);
        }
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// A child page or database named in a body (`<page url=…>Title</page>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildObject {
    /// `page` or `database`.
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

/// The child pages and databases a body names.
pub fn child_objects(text: &str) -> Vec<ChildObject> {
    let mut out = Vec::new();
    for kind in ["page", "database"] {
        let open = format!("<{kind} ");
        let close = format!("</{kind}>");
        let mut from = 0;
        while let Some(i) = text[from..].find(&open) {
            let start = from + i;
            let Some(gt) = text[start..].find('>') else {
                break;
            };
            let tag = &text[start..start + gt + 1];
            let after = start + gt + 1;
            let title_end = text[after..].find(&close).map(|j| after + j);
            let title = title_end
                .map(|j| text[after..j].replace('\\', ""))
                .unwrap_or_default();
            if let Some(id) = attr(tag, "url").and_then(|u| super::id::parse(&u).ok()) {
                out.push(ChildObject { kind, id, title });
            }
            from = title_end.unwrap_or(after);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_urls_are_compared_without_their_signatures() {
        let a = "![](https://prod-files-secure.s3.us-west-2.amazonaws.com/x/cat.png?X-Amz-Date=1&X-Amz-Signature=abc)\n\nok https://example.com/?q=1\n";
        let b = "![](https://prod-files-secure.s3.us-west-2.amazonaws.com/x/cat.png?X-Amz-Date=2&X-Amz-Signature=def)\n\nok https://example.com/?q=1\n\n";
        assert_eq!(normalize_body(a), normalize_body(b));
        assert_eq!(
            normalize_body(a),
            "![](https://prod-files-secure.s3.us-west-2.amazonaws.com/x/cat.png)\n\nok https://example.com/?q=1"
        );
        assert_eq!(refresh_urls(a, b), b.trim_end().to_string() + "\n");
        let h1 = ContentHash::of(a, "T", &Map::new());
        let h2 = ContentHash::of(b, "T", &Map::new());
        assert_eq!(h1, h2);
        assert_eq!(ContentHash::parse(&h1.to_string()), Some(h1.clone()));
        let mut props = Map::new();
        props.insert("Status".into(), json!("Done"));
        assert_ne!(ContentHash::of(a, "T", &props).properties, h1.properties);
        assert_eq!(ContentHash::of(a, "T", &props).body, h1.body);
        assert_eq!(ContentHash::parse("v1:zz:yy"), None);
    }

    #[test]
    fn unknown_tags_are_replaced_in_place_and_indented() {
        let text = "- a\n  <unknown url=\"https://www.notion.so/p#c1000000000040008000000000000003\" alt=\"x\"/>\n\n> <unknown url=\"https://www.notion.so/p#c1000000000040008000000000000004\" alt=\"y\"/>\n\n<unknown url=\"https://www.notion.so/p#c1000000000040008000000000000005\" alt=\"z\"/>\n";
        let mut rep = HashMap::new();
        rep.insert(
            "c1000000-0000-4000-8000-000000000003".to_string(),
            "- b\n  - c\n".to_string(),
        );
        rep.insert(
            "c1000000-0000-4000-8000-000000000004".to_string(),
            "one\n\ntwo\n".to_string(),
        );
        let out = splice(text, &rep);
        assert_eq!(
            out,
            "- a\n  - b\n    - c\n\n> one\n>\n> two\n\n<unknown url=\"https://www.notion.so/p#c1000000000040008000000000000005\" alt=\"z\"/>\n"
        );
        let ids: Vec<_> = unknown_tags(&out).into_iter().map(|t| t.2).collect();
        assert_eq!(
            ids,
            [Some("c1000000-0000-4000-8000-000000000005".to_string())]
        );
    }

    #[test]
    fn child_pages_and_databases_are_found_with_their_titles() {
        let text = "x\n\n<page url=\"https://www.notion.so/Engineering-Notes-a1000000000040008000000000000002\">Engineering Notes</page>\n\n<database url=\"https://www.notion.so/Tasks-d1000000000040008000000000000001\">Tasks</database>\n";
        let found = child_objects(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id, "a1000000-0000-4000-8000-000000000002");
        assert_eq!(found[0].title, "Engineering Notes");
        assert_eq!(found[1].kind, "database");
    }
}
