//! A data source query: the request (`filter`, `sorts`, `start_cursor`,
//! `filter_properties`) and its rows, a page at a time ([`Listing`]).

use serde_json::{Map, Value};

use crate::error::Result;
use crate::http::encode;
use crate::notion::Notion;
use crate::notion::listing::Listing;

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

    /// Starts reading at most `limit` rows (`None`: all).
    pub fn run(
        &self,
        notion: &Notion,
        data_source_id: &str,
        limit: Option<u64>,
    ) -> Result<Listing> {
        Listing::post(notion, &self.path(data_source_id), self.body(), limit)
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
