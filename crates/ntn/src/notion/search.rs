//! Search (`POST /v1/search`): pages and data sources whose title matches,
//! most recently edited first, a page at a time ([`Listing`]); and what a
//! result is (its type and title).

use serde_json::{Value, json};

use super::Notion;
use super::datasources::schema::plain_text;
use super::listing::Listing;
use crate::error::Result;

/// What to search for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Page,
    DataSource,
}

/// A search: the text to match in titles (none: everything), the kind of
/// object, where to start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub query: Option<String>,
    pub kind: Option<Kind>,
    pub start_cursor: Option<String>,
}

impl Search {
    /// The JSON body (without `page_size`), sorted by last edit, newest first.
    pub fn body(&self) -> Value {
        let mut b = json!({"sort": {"timestamp": "last_edited_time", "direction": "descending"}});
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            b["query"] = json!(q);
        }
        if let Some(k) = self.kind {
            let value = match k {
                Kind::Page => "page",
                Kind::DataSource => "data_source",
            };
            b["filter"] = json!({"property": "object", "value": value});
        }
        if let Some(c) = &self.start_cursor {
            b["start_cursor"] = json!(c);
        }
        b
    }

    /// Starts reading at most `limit` results (`None`: all).
    pub fn run(&self, notion: &Notion, limit: Option<u64>) -> Result<Listing> {
        Listing::post(notion, "/v1/search", self.body(), limit)
    }
}

/// `page`, `data_source` (or what the result says it is).
pub fn kind(result: &Value) -> &str {
    result["object"].as_str().unwrap_or("")
}

/// A result's title: a page's title property, a data source's or
/// database's title.
pub fn title(result: &Value) -> String {
    if result["object"] == "page" {
        return result["properties"]
            .as_object()
            .and_then(|p| p.values().find(|v| v["type"] == "title"))
            .map(|v| plain_text(&v["title"]))
            .unwrap_or_default();
    }
    let t = plain_text(&result["title"]);
    if t.is_empty() {
        result["name"].as_str().unwrap_or("").to_string()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_titles() {
        let s = Search {
            query: Some("road".into()),
            kind: Some(Kind::DataSource),
            start_cursor: None,
        };
        assert_eq!(
            s.body(),
            json!({"sort": {"timestamp": "last_edited_time", "direction": "descending"},
                   "query": "road", "filter": {"property": "object", "value": "data_source"}})
        );
        assert_eq!(
            title(
                &json!({"object": "page", "properties": {"Name": {"type": "title", "title": [{"plain_text": "Hi"}]}}})
            ),
            "Hi"
        );
        assert_eq!(
            title(&json!({"object": "data_source", "title": [{"plain_text": "Tasks"}]})),
            "Tasks"
        );
    }
}
