//! A list endpoint read one page at a time, up to a limit: the rows of a data
//! source query or of a search, in flat memory (one page of raw JSON at a
//! time, from [`Pages`]).
//!
//! Each page asks for no more rows than are still wanted (`page_size`), so
//! that when a limit stops the reading, the answer's `next_cursor` continues
//! right after the last row handed out. A page whose `request_status` says
//! `incomplete` is remembered: the caller reports it once it has written the
//! rows.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{Notion, Pages};
use crate::error::{Error, Result};
use crate::http::RetryPolicy;

/// The largest `page_size` Notion accepts.
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Deserialize)]
struct Page {
    results: Vec<Box<RawValue>>,
}

/// Rows of a list endpoint (`POST` or `GET`), a page at a time; see the module docs.
pub struct Listing {
    pages: Pages,
    limit: Option<u64>,
    read: u64,
    done: bool,
    next_cursor: Option<String>,
    incomplete: Option<String>,
}

impl Listing {
    /// `POST path` with `body` (a JSON object: filter, sorts, `start_cursor`,
    /// ...), reading at most `limit` rows (`None`: all of them).
    pub fn post(notion: &Notion, path: &str, body: Value, limit: Option<u64>) -> Result<Listing> {
        let mut body = match body {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        let size = limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        body.insert("page_size".into(), json!(size));
        let body = Value::Object(body);
        let req = notion.request("POST", path).json(&body);
        let pages = notion.pages(req, Some(body), RetryPolicy::default())?;
        Ok(Listing {
            pages,
            limit,
            read: 0,
            done: limit == Some(0),
            next_cursor: None,
            incomplete: None,
        })
    }

    /// `GET path` (its query may hold a `start_cursor`), reading at most `limit` rows
    /// (`None`: all of them): the cursor and the page size go in the query.
    pub fn get(notion: &Notion, path: &str, limit: Option<u64>) -> Result<Listing> {
        let size = limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        let sep = if path.contains('?') { '&' } else { '?' };
        let req = notion.request("GET", &format!("{path}{sep}page_size={size}"));
        let pages = notion.pages(req, None, RetryPolicy::default())?;
        Ok(Listing {
            pages,
            limit,
            read: 0,
            done: limit == Some(0),
            next_cursor: None,
            incomplete: None,
        })
    }

    /// The next page's rows (raw JSON, as the server sent them), or `None`
    /// once every wanted row was handed out.
    pub fn next_batch(&mut self) -> Result<Option<Vec<Box<RawValue>>>> {
        if self.done {
            return Ok(None);
        }
        let want = match self.limit {
            Some(l) => (l - self.read).min(MAX_PAGE_SIZE),
            None => MAX_PAGE_SIZE,
        };
        self.pages.set_page_size(want);
        let Some(resp) = self.pages.next_page()? else {
            self.done = true;
            return Ok(None);
        };
        let page: Page = serde_json::from_slice(&resp.body).map_err(|e| {
            self.done = true;
            Error::api(format!(
                "page {} of the answer cannot be read",
                self.pages.read()
            ))
            .cause(&e)
        })?;
        let mut rows = page.results;
        rows.truncate(want as usize);
        self.read += rows.len() as u64;
        let head = self.pages.last();
        if head.incomplete() && self.incomplete.is_none() {
            self.incomplete = Some(head.reason());
        }
        let more = head.has_more != Some(false)
            && head.next_cursor.as_deref().is_some_and(|c| !c.is_empty());
        self.next_cursor = more.then(|| head.next_cursor.clone()).flatten();
        if !more || self.limit.is_some_and(|l| self.read >= l) {
            self.done = true;
        }
        Ok(Some(rows))
    }

    /// Rows handed out so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Where the next rows start, when more exist than were read.
    pub fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }

    /// Why the server said its answer is incomplete, if it did.
    pub fn incomplete(&self) -> Option<&str> {
        self.incomplete.as_deref()
    }
}
