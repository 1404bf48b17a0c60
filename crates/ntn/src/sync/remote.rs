//! The remote side of a sync: which pages changed in Notion since the last run, found
//! without reading any page.
//!
//! Search sorted by last edit (newest first) gives up to 100 page objects per request:
//! their titles, parents, edit times and (for database rows) properties. A run either
//! enumerates every page (when the last full enumeration was small enough: a no-op sync
//! of a 1,000-page tree costs about 10 requests) or stops at the watermark, the start of
//! the previous scan less a margin for Notion's search index, which can lag behind an
//! edit. An edit the index had not caught up with is found by the next run, since the
//! record of the page keeps the edit time it last saw.
//!
//! What search cannot say: that a page was trashed (trashed pages are not listed). A full
//! enumeration notices a tracked page missing, and the page is then read by its id to
//! find out; a run that stopped at the watermark cannot, and says so.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::http::RetryPolicy;
use crate::notion::Notion;
use crate::notion::pages::props;

/// How a page's parent is named in its object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParentRef {
    Page(String),
    DataSource(String),
    Database(String),
    /// A block inside a page (a toggle, a column): the page is found through the block.
    Block(String),
    Workspace,
    Other,
}

impl ParentRef {
    pub fn of(page: &Value) -> ParentRef {
        let p = &page["parent"];
        let id = |k: &str| p[k].as_str().unwrap_or("").to_string();
        match p["type"].as_str().unwrap_or("") {
            "page_id" => ParentRef::Page(id("page_id")),
            "data_source_id" => ParentRef::DataSource(id("data_source_id")),
            "database_id" => ParentRef::Database(id("database_id")),
            "block_id" => ParentRef::Block(id("block_id")),
            "workspace" => ParentRef::Workspace,
            _ => ParentRef::Other,
        }
    }

    /// The id of a page, data source or database parent.
    pub fn id(&self) -> Option<&str> {
        match self {
            ParentRef::Page(i)
            | ParentRef::DataSource(i)
            | ParentRef::Database(i)
            | ParentRef::Block(i) => Some(i),
            _ => None,
        }
    }
}

/// A page as search listed it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub id: String,
    pub parent: ParentRef,
    pub title: String,
    pub last_edited_time: String,
    pub created_time: String,
    pub url: String,
    /// The whole object, kept only for the pages the caller wants (see [`scan`]).
    pub page: Option<Value>,
}

impl Seen {
    pub fn of(page: &Value, keep: bool) -> Option<Seen> {
        let id = page["id"].as_str()?.to_string();
        Some(Seen {
            id,
            parent: ParentRef::of(page),
            title: props::title(page),
            last_edited_time: page["last_edited_time"].as_str().unwrap_or("").to_string(),
            created_time: page["created_time"].as_str().unwrap_or("").to_string(),
            url: page["url"].as_str().unwrap_or("").to_string(),
            page: keep.then(|| page.clone()),
        })
    }

    /// The page object: the one kept, else one made of what was kept of it (enough for
    /// a page outside a data source, whose only property is its title).
    pub fn object(&self) -> Option<Value> {
        if let Some(p) = &self.page {
            return Some(p.clone());
        }
        let parent = match &self.parent {
            ParentRef::Page(i) => json!({"type": "page_id", "page_id": i}),
            ParentRef::Block(i) => json!({"type": "block_id", "block_id": i}),
            ParentRef::Workspace => json!({"type": "workspace", "workspace": true}),
            // A row's properties were not kept: read it whole.
            _ => return None,
        };
        Some(json!({
            "object": "page",
            "id": self.id,
            "url": self.url,
            "parent": parent,
            "created_time": self.created_time,
            "last_edited_time": self.last_edited_time,
            "in_trash": false,
            "properties": {"title": {"id": "title", "type": "title", "title": [
                {"type": "text", "text": {"content": self.title}, "plain_text": self.title}
            ]}},
        }))
    }
}

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Every page listed, by id.
    pub seen: HashMap<String, Seen>,
    /// Every page was listed (not stopped at the watermark).
    pub complete: bool,
    /// The server's time at the first answer (RFC 3339), the next run's watermark.
    pub started: Option<String>,
    /// Requests made.
    pub requests: u64,
}

/// How far back a scan that stops early looks before the previous scan's start: Notion's
/// search index can lag behind an edit.
pub const INDEX_LAG_MS: u64 = 5 * 60_000;

/// Enumerating every page is the default while the last full enumeration listed at most
/// this many pages (20 requests).
pub const FULL_SCAN_MAX: u64 = 2_000;

/// Lists pages, newest edit first: all of them (`stop_before` is `None`), or until one
/// was last edited before `stop_before` (RFC 3339). `keep` says which pages' whole
/// objects are kept (the others are kept as [`Seen`] without it, to bound memory).
pub fn scan(
    notion: &Notion,
    stop_before: Option<&str>,
    keep: &dyn Fn(&Value) -> bool,
) -> Result<Scan> {
    let stop_ms = stop_before.and_then(crate::support::time::parse_rfc3339_ms);
    let body = json!({
        "filter": {"property": "object", "value": "page"},
        "sort": {"timestamp": "last_edited_time", "direction": "descending"},
        "page_size": 100,
    });
    let req = notion.request("POST", "/v1/search").json(&body);
    let mut pages = notion.pages(req, Some(body), RetryPolicy::default())?;
    let mut out = Scan::default();
    let mut complete = true;
    while let Some(resp) = pages.next_page()? {
        out.requests += 1;
        if out.started.is_none() {
            out.started = server_time(&resp);
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(default)]
            results: Vec<Value>,
        }
        let answer: Answer = serde_json::from_slice(&resp.body)
            .map_err(|e| Error::api("the server sent search results ntn cannot read").cause(&e))?;
        let mut past = false;
        for page in &answer.results {
            if page["object"] != "page" || page["in_trash"] == true || page["archived"] == true {
                continue;
            }
            let Some(seen) = Seen::of(page, keep(page)) else {
                continue;
            };
            if let Some(stop) = stop_ms
                && crate::support::time::parse_rfc3339_ms(&seen.last_edited_time)
                    .is_some_and(|t| t < stop)
            {
                past = true;
            }
            out.seen.insert(seen.id.clone(), seen);
        }
        if past {
            complete = pages.last().has_more != Some(true);
            break;
        }
    }
    out.complete = complete;
    Ok(out)
}

/// The server's clock from a response's `Date` header, as RFC 3339.
pub fn server_time(resp: &crate::http::Response) -> Option<String> {
    let d = resp.header("date")?;
    let z = jiff::fmt::rfc2822::parse(d).ok()?;
    Some(crate::support::time::format_rfc3339(
        u64::try_from(z.timestamp().as_millisecond()).ok()?,
    ))
}

/// Whether a page last edited at `edited` and read at `read` (both RFC 3339) could have
/// been edited again without its `last_edited_time` changing: Notion rounds edit times
/// down to the minute, so a read in the minute of the last edit does not settle it.
pub fn settled(edited: &str, read: Option<&str>) -> bool {
    let (Some(e), Some(r)) = (
        crate::support::time::parse_rfc3339_ms(edited),
        read.and_then(crate::support::time::parse_rfc3339_ms),
    ) else {
        return false;
    };
    r / 60_000 > e / 60_000
}

/// The watermark a scan stops at: `INDEX_LAG_MS` before the previous scan's start.
pub fn stop_before(previous: &str) -> Option<String> {
    let t = crate::support::time::parse_rfc3339_ms(previous)?;
    Some(crate::support::time::format_rfc3339(
        t.saturating_sub(INDEX_LAG_MS),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_settles_a_page_only_in_a_later_minute() {
        assert!(!settled(
            "2026-12-07T12:00:00.000Z",
            Some("2026-12-07T12:00:59Z")
        ));
        assert!(settled(
            "2026-12-07T12:00:00.000Z",
            Some("2026-12-07T12:01:00Z")
        ));
        assert!(!settled("2026-12-07T12:00:00.000Z", None));
        assert!(!settled("garbage", Some("2026-12-07T12:01:00Z")));
    }

    #[test]
    fn parents_are_named() {
        let p = json!({"parent": {"type": "block_id", "block_id": "b"}});
        assert_eq!(ParentRef::of(&p), ParentRef::Block("b".into()));
        assert_eq!(ParentRef::of(&json!({})), ParentRef::Other);
    }
}
