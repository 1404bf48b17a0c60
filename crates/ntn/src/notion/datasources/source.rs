//! What a SOURCE names: a data source id, a database id or URL (its one data
//! source), or a data source's title (searched). A database with several data
//! sources, or a title that several data sources share, is an error listing
//! them with the command to run next.
//!
//! A database URL's `?v=` names a view ([`view_in`]); [`resolve_for_view`]
//! finds the data source a view shows and checks that SOURCE names it, and
//! [`views_scope`] what `ntn datasources views SOURCE` lists.

use serde_json::{Value, json};

use super::compile::uuid;
use super::schema::{Schema, plain_text};
use super::views::{Scope, View};
use crate::error::{Error, Result};
use crate::http::ApiError;
use crate::notion::Notion;
use crate::notion::listing::Listing;
use crate::output::text::clean;

/// A SOURCE as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRef {
    /// An id (of a data source or a database), from an id or a URL.
    Id(String),
    /// A data source's title.
    Title(String),
}

/// Reads a SOURCE: `collection://ID`, an id (with or without dashes), a
/// Notion URL ending in an id, else a title.
pub fn parse(s: &str) -> Result<SourceRef> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::usage("the data source is empty")
            .hint("give a data source id, a database id or URL, or a data source's title"));
    }
    let id_part = s.strip_prefix("collection://").unwrap_or(s);
    if let Some(id) = uuid(id_part) {
        return Ok(SourceRef::Id(id));
    }
    if s.contains("://") {
        return Err(
            Error::usage(format!("{:?} is not a Notion URL with an id", clean(s)))
                .hint("copy the database's link in Notion (Share → Copy link), or give its id"),
        );
    }
    Ok(SourceRef::Title(s.to_string()))
}

/// The view a SOURCE URL's `?v=` names (`None` for ids, titles and URLs
/// without one); a `v` that is no id is a usage error.
pub fn view_in(source: &str) -> Result<Option<String>> {
    let s = source.trim();
    if s.contains("://") {
        super::views::view_in_url(s)
    } else {
        Ok(None)
    }
}

/// The schema of the data source `view` shows, when SOURCE names it: SOURCE
/// is that data source, its database (even one with several data sources:
/// the view says which), or the data source's title. A SOURCE naming another
/// data source is a usage error: the view never switches what SOURCE names.
pub fn resolve_for_view(notion: &Notion, source: &str, view: &View) -> Result<Schema> {
    let Some(ds) = view.data_source_id.clone() else {
        return Err(Error::usage(format!(
            "the view {} ({}) shows no data source",
            view.describe(),
            clean(&view.kind)
        ))
        .hint("choose a table, board, list, calendar, timeline or gallery view: `ntn datasources views SOURCE` lists them"));
    };
    if let SourceRef::Id(id) = parse(source)?
        && (id == ds || view.database_id.as_deref() == Some(id.as_str()))
    {
        return get_schema(notion, &ds);
    }
    let schema = resolve(notion, source)?;
    if schema.id != ds {
        return Err(Error::usage(format!(
            "the view {} is of the data source {ds}; SOURCE is another, {}",
            view.describe(),
            describe(&schema.title, &schema.id)
        ))
        .hint(format!(
            "query the view's data source: ntn datasources query {ds} --view {}\n        or list this one's views: ntn datasources views {}",
            view.id, schema.id
        )));
    }
    Ok(schema)
}

/// What `ntn datasources views SOURCE` lists: a database's views (SOURCE is a
/// database id or URL), or a data source's (its id or title); with a label
/// for messages (`database "Roadmap" (ID)`).
pub fn views_scope(notion: &Notion, source: &str) -> Result<(Scope, String)> {
    match parse(source)? {
        SourceRef::Title(title) => {
            let schema = by_title(notion, &title)?;
            let label = format!("data source {}", describe(&schema.title, &schema.id));
            Ok((Scope::DataSource(schema.id), label))
        }
        SourceRef::Id(id) => {
            let first = match get_schema(notion, &id) {
                Ok(schema) => {
                    let label = format!("data source {}", describe(&schema.title, &schema.id));
                    return Ok((Scope::DataSource(schema.id), label));
                }
                Err(e) if not_a_data_source(&e) => e,
                Err(e) => return Err(e),
            };
            match notion.get(&format!("/v1/databases/{id}")) {
                Ok(db) => {
                    let (title, _) = sources_of(&db);
                    Ok((Scope::Database(id.clone()), format!("database {}", describe(&title, &id))))
                }
                Err(e) if not_a_data_source(&e) => Err(Error::api(format!(
                    "nothing with the id {id} is shared with this integration: no data source, no database"
                ))
                .hint("check the id, and share the database with the integration in Notion (••• → Connections)")
                .cause(&first)),
                Err(e) => Err(e),
            }
        }
    }
}

/// The data sources of a database: its title and (id, name) of each.
pub fn database_sources(notion: &Notion, id: &str) -> Result<(String, Vec<(String, String)>)> {
    let db = notion.get(&format!("/v1/databases/{id}"))?;
    Ok(sources_of(&db))
}

fn sources_of(db: &Value) -> (String, Vec<(String, String)>) {
    let title = plain_text(&db["title"]);
    let sources = db["data_sources"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["id"].as_str().unwrap_or("").to_string(),
                        d["name"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (title, sources)
}

/// Whether an error answer means "this id is no data source" (Notion says
/// 404, or 400 when the id is another kind of object).
fn not_a_data_source(e: &Error) -> bool {
    e.data::<ApiError>()
        .is_some_and(|a| a.status == 404 || (a.status == 400 && a.is("validation_error")))
}

/// The schema of the data source SOURCE names; see the module docs.
pub fn resolve(notion: &Notion, source: &str) -> Result<Schema> {
    match parse(source)? {
        SourceRef::Id(id) => by_id(notion, &id),
        SourceRef::Title(title) => by_title(notion, &title),
    }
}

fn get_schema(notion: &Notion, id: &str) -> Result<Schema> {
    Schema::from_json(&notion.get(&format!("/v1/data_sources/{id}"))?)
}

fn by_id(notion: &Notion, id: &str) -> Result<Schema> {
    let first = match get_schema(notion, id) {
        Ok(s) => return Ok(s),
        Err(e) if not_a_data_source(&e) => e,
        Err(e) => return Err(e),
    };
    let db = match notion.get(&format!("/v1/databases/{id}")) {
        Ok(db) => db,
        Err(e) if not_a_data_source(&e) => {
            return Err(Error::api(format!(
                "nothing with the id {id} is shared with this integration: no data source, no database"
            ))
            .hint("check the id, and share the database with the integration in Notion (••• → Connections); `ntn search --type data-source` lists what the token can see")
            .cause(&first));
        }
        Err(e) => return Err(e),
    };
    let (title, sources) = sources_of(&db);
    match sources.as_slice() {
        [] => Err(Error::api(format!(
            "the database {} has no data source this integration can see",
            describe(&title, id)
        ))
        .hint("share its data sources with the integration in Notion")),
        [(ds, _)] => get_schema(notion, ds),
        many => Err(Error::usage(format!(
            "the database {} has {} data sources: say which one",
            describe(&title, id),
            many.len()
        ))
        .hint(next_commands(
            many.iter().map(|(i, n)| (i.as_str(), n.as_str())),
        ))),
    }
}

fn describe(title: &str, id: &str) -> String {
    if title.is_empty() {
        id.to_string()
    } else {
        format!("{:?} ({id})", clean(title))
    }
}

/// `ntn datasources query ID   # name` for each, aligned.
fn next_commands<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let lines: Vec<String> = items
        .map(|(id, name)| {
            format!(
                "ntn datasources query {}   # {}",
                clean(id),
                crate::output::text::one_line(name)
            )
        })
        .collect();
    format!("run one of:\n        {}", lines.join("\n        "))
}

fn by_title(notion: &Notion, title: &str) -> Result<Schema> {
    let body = json!({
        "query": title,
        "filter": {"property": "object", "value": "data_source"},
    });
    let mut listing = Listing::post(notion, "/v1/search", body, Some(100))?;
    let mut found: Vec<(String, String)> = vec![];
    while let Some(batch) = listing.next_batch()? {
        for raw in batch {
            let v: Value = serde_json::from_str(raw.get())
                .map_err(|e| Error::api("a search result cannot be read").cause(&e))?;
            if v["object"] != "data_source" {
                continue;
            }
            let t = plain_text(&v["title"]);
            let t = if t.is_empty() {
                v["name"].as_str().unwrap_or("").to_string()
            } else {
                t
            };
            found.push((v["id"].as_str().unwrap_or("").to_string(), t));
        }
    }
    let want = title.trim();
    let exact: Vec<&(String, String)> = found.iter().filter(|(_, t)| t.trim() == want).collect();
    let folded: Vec<&(String, String)> = found
        .iter()
        .filter(|(_, t)| t.trim().to_lowercase() == want.to_lowercase())
        .collect();
    let matches = if exact.is_empty() { folded } else { exact };
    match matches.as_slice() {
        [(id, _)] => get_schema(notion, id),
        [] => {
            let e = Error::usage(format!("no data source is called {:?}", clean(want)));
            Err(if found.is_empty() {
                e.hint("`ntn search --type data-source` lists the data sources this integration can see")
            } else {
                e.hint(format!(
                    "data sources whose title contains it:\n        {}",
                    found
                        .iter()
                        .take(10)
                        .map(|(id, t)| format!(
                            "{}  {}",
                            clean(id),
                            crate::output::text::one_line(t)
                        ))
                        .collect::<Vec<_>>()
                        .join("\n        ")
                ))
            })
        }
        many => Err(Error::usage(format!(
            "{} data sources are called {:?}: say which one",
            many.len(),
            clean(want)
        ))
        .hint(next_commands(
            many.iter().map(|(i, t)| (i.as_str(), t.as_str())),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_ids_urls_or_titles() {
        let id = "d2000000-0000-4000-8000-000000000002";
        for s in [
            id,
            "d2000000000040008000000000000002",
            "collection://d2000000-0000-4000-8000-000000000002",
            "https://www.notion.so/acme/d2000000000040008000000000000002?v=abc",
            "https://www.notion.so/Roadmap-d2000000000040008000000000000002",
        ] {
            assert_eq!(parse(s).unwrap(), SourceRef::Id(id.into()), "{s}");
        }
        assert_eq!(
            parse(" Roadmap ").unwrap(),
            SourceRef::Title("Roadmap".into())
        );
        assert_eq!(parse("").unwrap_err().exit_code().code(), 2);
        assert_eq!(
            parse("https://example.com/x")
                .unwrap_err()
                .exit_code()
                .code(),
            2
        );
    }
}
