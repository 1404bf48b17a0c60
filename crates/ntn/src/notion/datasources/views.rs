//! Database views (Notion's `/v1/views`): a database's or a data source's
//! views listed ([`list`]), one read ([`get`]: its data source, filter, sorts
//! and visible properties in order), and a view named on the command line
//! ([`parse_ref`]: an id, or a URL with `?v=`).
//!
//! ntn reads views and queries their data source itself (the view's filter
//! and sorts in a data source query); it does not use view queries
//! (`POST /v1/views/{id}/queries`).

use serde_json::Value;

use super::compile::uuid;
use crate::error::{Error, Result};
use crate::http::{ApiError, encode};
use crate::notion::Notion;
use crate::notion::listing::Listing;
use crate::output::text::clean;

/// A view as `GET /v1/views/{id}` answers it, with what a query takes from it.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub id: String,
    pub name: String,
    /// `table`, `board`, `list`, `calendar`, `timeline`, `gallery`, `form`, `chart`, `map`
    /// or `dashboard`.
    pub kind: String,
    /// The data source it shows (none for a dashboard).
    pub data_source_id: Option<String>,
    /// The database it belongs to.
    pub database_id: Option<String>,
    /// Notion's filter JSON (none: every row).
    pub filter: Option<Value>,
    /// Notion's `sorts` (empty: Notion's default order).
    pub sorts: Vec<Value>,
    /// The ids of its visible properties, in the view's order (empty: the view
    /// says nothing about its columns).
    pub visible: Vec<String>,
    pub url: String,
    /// The view object as Notion sent it.
    pub raw: Value,
}

impl View {
    /// Reads a view object.
    pub fn from_json(v: &Value) -> View {
        let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let opt = |x: &Value| x.as_str().filter(|s| !s.is_empty()).map(str::to_string);
        let visible = v["configuration"]["properties"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .filter(|p| p["visible"].as_bool().unwrap_or(true))
                    .filter_map(|p| p["property_id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        View {
            id: text("id"),
            name: text("name"),
            kind: text("type"),
            data_source_id: opt(&v["data_source_id"]),
            database_id: opt(&v["parent"]["database_id"]),
            filter: v["filter"].as_object().map(|_| v["filter"].clone()),
            sorts: v["sorts"].as_array().cloned().unwrap_or_default(),
            visible,
            url: text("url"),
            raw: v.clone(),
        }
    }

    /// `"Open items" (ID)`, for messages.
    pub fn describe(&self) -> String {
        if self.name.is_empty() {
            self.id.clone()
        } else {
            format!("{:?} ({})", clean(&self.name), self.id)
        }
    }

    /// A short account of its filter and sorts, e.g. `filter: Status, Due date;
    /// sort: Due date asc` (empty when it has neither).
    pub fn summary(&self) -> String {
        let mut parts = vec![];
        if let Some(f) = &self.filter {
            let mut names = vec![];
            filter_names(f, &mut names);
            parts.push(format!("filter: {}", names.join(", ")));
        }
        if !self.sorts.is_empty() {
            let sorts: Vec<String> = self
                .sorts
                .iter()
                .map(|s| {
                    let what = s["property"]
                        .as_str()
                        .or_else(|| match s["timestamp"].as_str() {
                            Some("created_time") => Some("created"),
                            Some("last_edited_time") => Some("edited"),
                            other => other,
                        })
                        .unwrap_or("?");
                    let dir = if s["direction"] == "descending" {
                        "desc"
                    } else {
                        "asc"
                    };
                    format!("{} {dir}", clean(what))
                })
                .collect();
            parts.push(format!("sort: {}", sorts.join(", ")));
        }
        parts.join("; ")
    }
}

/// The property names (and `created`/`edited`) a filter tests, each once.
fn filter_names(f: &Value, out: &mut Vec<String>) {
    for key in ["and", "or"] {
        if let Some(children) = f[key].as_array() {
            for c in children {
                filter_names(c, out);
            }
        }
    }
    let name = f["property"]
        .as_str()
        .map(|p| clean(p).into_owned())
        .or_else(|| {
            f["timestamp"].as_str().map(|t| match t {
                "created_time" => "created".to_string(),
                "last_edited_time" => "edited".to_string(),
                other => clean(other).into_owned(),
            })
        });
    if let Some(n) = name
        && !out.contains(&n)
    {
        out.push(n);
    }
}

/// What to list the views of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Database(String),
    DataSource(String),
}

/// The ids of the views of a database or data source, in Notion's order.
pub fn list_ids(notion: &Notion, scope: &Scope) -> Result<Vec<String>> {
    let query = match scope {
        Scope::Database(id) => format!("database_id={}", encode(id)),
        Scope::DataSource(id) => format!("data_source_id={}", encode(id)),
    };
    let mut listing = Listing::get(notion, &format!("/v1/views?{query}"), None)?;
    let mut ids = vec![];
    while let Some(batch) = listing.next_batch()? {
        for raw in batch {
            let v: Value = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a view reference cannot be read").cause(&e))?;
            if let Some(id) = v["id"].as_str() {
                ids.push(id.to_string());
            }
        }
    }
    Ok(ids)
}

/// The views of a database or data source, each read in full.
pub fn list(notion: &Notion, scope: &Scope) -> Result<Vec<View>> {
    list_ids(notion, scope)?
        .iter()
        .map(|id| get(notion, id))
        .collect()
}

/// `GET /v1/views/{id}`; a view Notion does not show is an error saying how
/// to find the right one.
pub fn get(notion: &Notion, id: &str) -> Result<View> {
    match notion.get(&format!("/v1/views/{}", encode(id))) {
        Ok(v) => Ok(View::from_json(&v)),
        Err(e) if e.data::<ApiError>().is_some_and(|a| a.status == 404) => {
            Err(Error::api(format!("no view {id} is shared with this integration"))
                .hint("check the view id (the ?v= of the database's URL); `ntn datasources views SOURCE` lists a data source's views, and the database must be shared with the integration (••• → Connections)")
                .cause(&e))
        }
        Err(e) => Err(e),
    }
}

/// A view as given to `--view`: its id (with or without dashes), or a URL
/// whose `?v=` (or, failing that, last id) names it.
pub fn parse_ref(s: &str) -> Result<String> {
    let s = s.trim();
    if s.contains("://") {
        if let Some(v) = view_in_url(s)? {
            return Ok(v);
        }
        return Err(
            Error::usage(format!("{:?} is a URL without a view (no ?v=)", clean(s)))
                .hint("copy the link of the view in Notion (its ••• → Copy link to view), or give the view's id"),
        );
    }
    uuid(s).ok_or_else(|| {
        Error::usage(format!("--view: {:?} is not a view id or URL", clean(s))).hint(
            "give the view's id or its URL (with ?v=); `ntn datasources views SOURCE` lists them",
        )
    })
}

/// The view id in a URL's `?v=` (`None` when it has none); a `v` that is no
/// id is a usage error.
pub fn view_in_url(url: &str) -> Result<Option<String>> {
    let Some((_, query)) = url.split_once('?') else {
        return Ok(None);
    };
    let query = query.split('#').next().unwrap_or("");
    for pair in query.split('&') {
        if let Some(v) = pair.strip_prefix("v=") {
            return match uuid(v) {
                Some(id) => Ok(Some(id)),
                None => Err(
                    Error::usage(format!("the URL's ?v={} is not a view id", clean(v)))
                        .hint("copy the view's link in Notion again, or give --view ID"),
                ),
            };
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VIEW: &str = "f7000000-0000-4000-8000-000000000001";

    #[test]
    fn view_refs_are_ids_or_urls() {
        for s in [
            VIEW,
            "f7000000000040008000000000000001",
            "https://www.notion.so/d1000000000040008000000000000002?v=f7000000000040008000000000000001",
            "https://www.notion.so/acme/Roadmap-d1000000000040008000000000000002?p=x&v=f7000000000040008000000000000001&pm=s",
        ] {
            assert_eq!(parse_ref(s).unwrap(), VIEW, "{s}");
        }
        assert_eq!(parse_ref("Open items").unwrap_err().exit_code().code(), 2);
        assert_eq!(
            parse_ref("https://www.notion.so/d1000000000040008000000000000002")
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
        assert!(view_in_url("https://www.notion.so/x?v=abc").is_err());
        assert_eq!(view_in_url("https://www.notion.so/x").unwrap(), None);
    }

    #[test]
    fn a_view_object() {
        let v = View::from_json(&json!({
            "object": "view", "id": VIEW, "name": "Open items", "type": "table",
            "parent": {"type": "database_id", "database_id": "db"},
            "data_source_id": "ds", "url": "u",
            "filter": {"and": [{"property": "Status", "status": {"does_not_equal": "Done"}},
                               {"timestamp": "created_time", "created_time": {"past_week": {}}},
                               {"property": "Status", "status": {"is_not_empty": true}}]},
            "sorts": [{"property": "Due date", "direction": "ascending"},
                      {"timestamp": "last_edited_time", "direction": "descending"}],
            "configuration": {"type": "table", "properties": [
                {"property_id": "title", "visible": true},
                {"property_id": "x", "visible": false},
                {"property_id": "Du%3Ae"}]},
        }));
        assert_eq!(v.visible, ["title", "Du%3Ae"]);
        assert_eq!(v.data_source_id.as_deref(), Some("ds"));
        assert_eq!(v.database_id.as_deref(), Some("db"));
        assert_eq!(
            v.summary(),
            "filter: Status, created; sort: Due date asc, edited desc"
        );
        assert_eq!(v.describe(), format!("\"Open items\" ({VIEW})"));
        let bare = View::from_json(&json!({"id": "v", "filter": null, "sorts": null}));
        assert_eq!(bare.filter, None);
        assert!(bare.sorts.is_empty() && bare.visible.is_empty());
        assert_eq!(bare.summary(), "");
    }
}
