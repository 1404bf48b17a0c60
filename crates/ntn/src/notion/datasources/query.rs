//! A data source query: the request (`filter`, `sorts`, `start_cursor`,
//! `filter_properties`) and its rows, a page at a time ([`Rows`], on a [`Listing`]).
//!
//! Past Notion's row limit (10,000 rows a query: the answer then says `has_more: false`
//! and `request_status` incomplete, `query_result_limit_reached`), a reading without sorts
//! of its own continues with **windows on `created_time`**, as Notion's JS SDK does
//! (`iterateAllDataSourceRows`): such a reading is sorted by `created_time` ascending
//! from the start; when a query reaches the limit, a new one starts at the last row's
//! `created_time` (`on_or_after`, joined to the filter by [`conjoin`]), which gets its
//! own budget; the rows of that minute already handed out are skipped by id. Memory
//! stays flat: one page of rows, and the ids of one minute. It stops, incomplete, when
//! more rows than the limit share one `created_time` (a window cannot move), or when the
//! filter cannot take the bound. `created_time` never changes, unlike
//! `last_edited_time`, so rows do not move between windows.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::compile::conjoin;
use crate::error::{Error, Result};
use crate::http::encode;
use crate::notion::Notion;
use crate::notion::listing::{Listing, MAX_PAGE_SIZE};

/// What to ask a data source for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub filter: Option<Value>,
    pub sorts: Vec<Value>,
    /// Property ids to return (none: all).
    pub filter_properties: Vec<String>,
    pub start_cursor: Option<String>,
}

impl Query {
    /// `POST` path, with `filter_properties` in the query string.
    pub fn path(&self, data_source_id: &str) -> String {
        let mut path = format!("/v1/data_sources/{}/query", encode(data_source_id));
        for (i, id) in self.filter_properties.iter().enumerate() {
            path.push(if i == 0 { '?' } else { '&' });
            path.push_str("filter_properties=");
            path.push_str(&encode(id));
        }
        path
    }

    /// The JSON body (without `page_size`, which the reading sets).
    pub fn body(&self) -> Value {
        let mut b = Map::new();
        if let Some(f) = &self.filter {
            b.insert("filter".into(), f.clone());
        }
        if !self.sorts.is_empty() {
            b.insert("sorts".into(), Value::Array(self.sorts.clone()));
        }
        if let Some(c) = &self.start_cursor {
            b.insert("start_cursor".into(), Value::String(c.clone()));
        }
        Value::Object(b)
    }

    /// The query as it is sent for a reading of at most `limit` rows: without sorts of
    /// its own, a reading of more than one page is in created order (so that it can
    /// continue in windows, and a cursor it prints fits the same query again).
    pub fn for_reading(&self, limit: Option<u64>) -> Query {
        let mut q = self.clone();
        if q.sorts.is_empty() && limit.is_none_or(|l| l > MAX_PAGE_SIZE) {
            q.sorts = vec![created_ascending()];
        }
        q
    }

    /// Starts reading at most `limit` rows (`None`: all), past Notion's row limit when
    /// the query is in created order (no sorts of its own, or `created_time` ascending
    /// alone) and has no cursor (see the module docs).
    pub fn run(&self, notion: &Notion, data_source_id: &str, limit: Option<u64>) -> Result<Rows> {
        let query = self.for_reading(limit);
        let windowed = self.start_cursor.is_none() && query.sorts == [created_ascending()];
        let path = query.path(data_source_id);
        let listing = Listing::post(notion, &path, query.body(), limit)?;
        Ok(Rows {
            notion: notion.clone(),
            path,
            query,
            limit,
            windowed,
            listing,
            read: 0,
            window_start: None,
            last_time: None,
            last_ids: HashSet::new(),
            windows: 0,
            incomplete: None,
        })
    }
}

/// The sort that reads rows in the order they were created: what windows need.
fn created_ascending() -> Value {
    json!({"timestamp": "created_time", "direction": "ascending"})
}

/// The reason Notion gives when a query reached its row limit.
pub const LIMIT_REACHED: &str = "query_result_limit_reached";

/// The rows of a [`Query`], a page at a time, past Notion's row limit when they can be
/// (see the module docs): the same reading as a [`Listing`], with windows.
pub struct Rows {
    notion: Notion,
    path: String,
    query: Query,
    limit: Option<u64>,
    /// Whether this reading may open windows (created order, no cursor given).
    windowed: bool,
    listing: Listing,
    /// Rows handed out.
    read: u64,
    /// The `created_time` of the current window's lower bound.
    window_start: Option<String>,
    /// The latest `created_time` handed out, and the ids handed out with it.
    last_time: Option<String>,
    last_ids: HashSet<String>,
    windows: u64,
    incomplete: Option<Incomplete>,
}

/// Why a reading handed out fewer rows than match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incomplete {
    /// The server said so, for this reason (`request_status`), and no window could help:
    /// the query has sorts of its own, or a cursor to start from, or another reason.
    Server { reason: String, sorted: bool },
    /// More rows than one query returns share this `created_time`.
    SameTime(String),
    /// The filter and a `created_time` bound cannot be joined within Notion's nesting.
    FilterTooComplex,
    /// The rows carry no `created_time` to continue from.
    NoCreatedTime,
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Incomplete::Server { reason, .. } => f.write_str(reason),
            Incomplete::SameTime(t) => write!(
                f,
                "{LIMIT_REACHED}: more rows than one query returns share the created_time {t}, \
                 so windows on created_time cannot go past them"
            ),
            Incomplete::FilterTooComplex => write!(
                f,
                "{LIMIT_REACHED}, and the filter is too complex to add a created_time window to"
            ),
            Incomplete::NoCreatedTime => write!(
                f,
                "{LIMIT_REACHED}, and the rows have no created_time to continue from"
            ),
        }
    }
}

#[derive(Deserialize)]
struct RowHead {
    #[serde(default)]
    id: String,
    #[serde(default)]
    created_time: Option<String>,
}

impl Rows {
    /// Rows handed out so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Windows opened past the first query (0 when Notion's limit was not reached).
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Where the next rows start, when more exist than were read and the cursor can be
    /// given back to a query like this one (not inside a window).
    pub fn next_cursor(&self) -> Option<&str> {
        if self.windows > 0 {
            None
        } else {
            self.listing.next_cursor()
        }
    }

    /// Why the rows handed out are not all that match, if they are not.
    pub fn incomplete(&self) -> Option<&Incomplete> {
        self.incomplete.as_ref()
    }

    /// The next rows, or `None` once every wanted row was handed out.
    pub fn next_batch(&mut self) -> Result<Option<Vec<Box<RawValue>>>> {
        loop {
            if self.limit.is_some_and(|l| self.read >= l) {
                return Ok(None);
            }
            if let Some(batch) = self.listing.next_batch()? {
                let rows = self.admit(batch)?;
                if rows.is_empty() {
                    continue;
                }
                return Ok(Some(rows));
            }
            let Some(reason) = self.listing.incomplete().map(str::to_string) else {
                return Ok(None);
            };
            if !self.windowed || reason != LIMIT_REACHED {
                let sorted = reason == LIMIT_REACHED && !self.query.sorts.is_empty();
                self.incomplete = Some(Incomplete::Server { reason, sorted });
                return Ok(None);
            }
            self.next_window()?;
            if self.incomplete.is_some() {
                return Ok(None);
            }
        }
    }

    /// Keeps the rows not handed out yet (a window starts at the last `created_time`
    /// seen, so its first rows may have been), remembering the last `created_time`.
    fn admit(&mut self, batch: Vec<Box<RawValue>>) -> Result<Vec<Box<RawValue>>> {
        let mut out = Vec::with_capacity(batch.len());
        for raw in batch {
            if self.limit.is_some_and(|l| self.read >= l) {
                break;
            }
            if !self.windowed {
                self.read += 1;
                out.push(raw);
                continue;
            }
            let head: RowHead = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a row of the answer cannot be read").cause(&e))?;
            let Some(t) = head.created_time else {
                self.read += 1;
                out.push(raw);
                continue;
            };
            if self.last_time.as_deref() == Some(t.as_str()) {
                if !self.last_ids.insert(head.id) {
                    continue;
                }
            } else {
                self.last_time = Some(t);
                self.last_ids.clear();
                self.last_ids.insert(head.id);
            }
            self.read += 1;
            out.push(raw);
        }
        Ok(out)
    }

    /// Opens the next window, from the last `created_time` seen; or says why it cannot.
    fn next_window(&mut self) -> Result<()> {
        let Some(t) = self.last_time.clone() else {
            self.incomplete = Some(Incomplete::NoCreatedTime);
            return Ok(());
        };
        if self.window_start.as_deref() == Some(t.as_str()) {
            self.incomplete = Some(Incomplete::SameTime(t));
            return Ok(());
        }
        let bound = json!({"timestamp": "created_time", "created_time": {"on_or_after": t}});
        let filter = match &self.query.filter {
            None => bound,
            Some(f) => match conjoin(&[f.clone(), bound]) {
                Some(f) => f,
                None => {
                    self.incomplete = Some(Incomplete::FilterTooComplex);
                    return Ok(());
                }
            },
        };
        let mut body = self.query.body();
        body["filter"] = filter;
        let remaining = self.limit.map(|l| l - self.read);
        // The window starts with the rows of minute `t` already handed out: ask for those too.
        let want = remaining.map(|r| r + self.last_ids.len() as u64);
        self.listing = Listing::post(&self.notion, &self.path, body, want)?;
        self.window_start = Some(t);
        self.windows += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_of_a_query() {
        let q = Query {
            filter: Some(json!({"property": "Done", "checkbox": {"equals": true}})),
            sorts: vec![json!({"timestamp": "created_time", "direction": "ascending"})],
            filter_properties: vec!["title".into(), "Du%3Ae".into()],
            start_cursor: Some("c1".into()),
        };
        assert_eq!(
            q.path("ds1"),
            "/v1/data_sources/ds1/query?filter_properties=title&filter_properties=Du%253Ae"
        );
        assert_eq!(
            q.body(),
            json!({"filter": {"property": "Done", "checkbox": {"equals": true}},
                   "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
                   "start_cursor": "c1"})
        );
        assert_eq!(Query::default().body(), json!({}));
    }
}
